"""consumer.intake."""
