"""Working days: the one holiday calendar of Signum (routing's deadlines, metrics' durations).

Both services build it from the same settings (`SIGNUM_CALENDAR_*`), so a deadline and the time it
took to meet it are counted on the same days.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class CalendarSettings(BaseSettings):
    """`SIGNUM_CALENDAR_HOLIDAYS`, `SIGNUM_CALENDAR_FEDERAL_HOLIDAYS`, `SIGNUM_CALENDAR_TIMEZONE`."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_CALENDAR_", extra="ignore")

    holidays: list[dt.date] = Field(default_factory=list)
    """Non-working days besides weekends and the federal ones (e.g. local holidays, vacations)."""
    federal_holidays: bool = True
    timezone: str = "America/Monterrey"
    """Where the offices are: which day an instant falls on."""

    def work_calendar(self) -> WorkCalendar:
        """The calendar these settings describe."""
        return WorkCalendar(frozenset(self.holidays), federal=self.federal_holidays)

    @property
    def tz(self) -> ZoneInfo:
        """The offices' time zone."""
        return ZoneInfo(self.timezone)


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    offset = (7 - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


@functools.cache
def mexican_federal_holidays(year: int) -> frozenset[dt.date]:
    """Días de descanso obligatorio (Ley Federal del Trabajo, art. 74) of `year`."""
    days = {
        dt.date(year, 1, 1),
        _nth_monday(year, 2, 1),  # Constitución
        _nth_monday(year, 3, 3),  # Natalicio de Benito Juárez
        dt.date(year, 5, 1),
        dt.date(year, 9, 16),
        _nth_monday(year, 11, 3),  # Revolución
        dt.date(year, 12, 25),
    }
    if (year - 2024) % 6 == 0:
        days.add(dt.date(year, 10, 1))  # Transmisión del Poder Ejecutivo Federal
    return frozenset(days)


@dataclass(frozen=True)
class WorkCalendar:
    """Working days: Monday to Friday minus the federal holidays and the configured extra ones."""

    extra_holidays: frozenset[dt.date] = frozenset()
    federal: bool = True

    def is_working_day(self, day: dt.date) -> bool:
        """Whether offices work on `day`."""
        if day.weekday() >= 5 or day in self.extra_holidays:
            return False
        return not (self.federal and day in mexican_federal_holidays(day.year))

    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The date `days` working days after `start`."""
        current = start
        remaining = days
        while remaining > 0:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    # Metrics counts the same few thousand spans over and over (every stage of every oficio).
    @functools.lru_cache(maxsize=65536)  # noqa: B019 - calendars are few and live as long as the process
    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (negative if `end` is before)."""
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count
