"""consumer.app."""
