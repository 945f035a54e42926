"""Routers of the gateway."""
