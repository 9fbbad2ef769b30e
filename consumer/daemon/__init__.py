"""consumer.daemon."""
