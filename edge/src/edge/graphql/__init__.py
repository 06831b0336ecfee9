"""GraphQL at /graphql: read-only events (zones, sessions, availability), search, and the caller's
orders and tickets, with the REST API's authentication and rate limits (see edge.graphql.schema)."""
