"""Dates written the way an oficio writes them: "23 de noviembre de 2026"."""

from __future__ import annotations

import datetime as dt

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def long_date(day: dt.date) -> str:
    """`day` in Spanish words, independent of the machine's locale."""
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"
