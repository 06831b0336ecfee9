"""Taquilla identity service."""
