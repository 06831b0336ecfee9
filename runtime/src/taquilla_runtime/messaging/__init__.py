"""Messages between services: the one envelope every Kafka message uses, and the outbox relay."""
