"""Dates and times written the way an oficio and its pages write them, in the city's time.

Independent of the machine's locale: "23 de noviembre de 2026", "23 de noviembre de 2026, 14:05 h".
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

# Oficios are dated in the city's time; Monterrey keeps UTC-6 all year since 2022.
CITY_TIME = ZoneInfo("America/Monterrey")

MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def long_date(day: dt.date) -> str:
    """`23 de noviembre de 2026`."""
    return f"{day.day} de {MONTHS[day.month - 1]} de {day.year}"


def long_datetime(moment: dt.datetime, *, seconds: bool = False) -> str:
    """`23 de noviembre de 2026, 14:05 h` (or `14:05:09 h`) in the city's time."""
    local = moment.astimezone(CITY_TIME)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{long_date(local.date())}, {clock} h"
