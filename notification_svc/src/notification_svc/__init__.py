"""Taquilla notification service."""
