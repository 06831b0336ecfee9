"""Taquilla's event catalog service."""
