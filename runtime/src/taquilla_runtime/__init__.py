"""The small runtime every Taquilla service shares.

Only what every service must do identically lives here: settings conventions, JSON logging with a
correlation id, telemetry, the message envelope and the outbox relay, database engine helpers and
the gRPC server bootstrap (health, reflection in development, graceful shutdown), the signed
principal. No domain types.
"""
