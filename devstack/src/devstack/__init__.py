"""Taquilla's infrastructure and services as plain processes, for `make up` and for tests.

There is no container engine on development and CI machines, so PostgreSQL, Redis, the
Kafka-protocol broker and the SMTP sink run as ordinary child processes on 127.0.0.1.
"""
