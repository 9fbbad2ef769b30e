"""consumer.ops."""
