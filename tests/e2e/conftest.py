"""End-to-end tests use the `world` fixture of signum.testing.plugin."""

from signum.testing.people import World

__all__ = ["World"]
