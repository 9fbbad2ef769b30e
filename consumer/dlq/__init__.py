"""consumer.dlq."""
