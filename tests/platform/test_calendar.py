"""The shared working-day calendar is configured once (`SIGNUM_CALENDAR_*`) for every service."""

from __future__ import annotations

import datetime as dt

import pytest

from signum.metrics.settings import Settings as MetricsSettings
from signum.platform.calendar import CalendarSettings
from signum.routing.settings import Settings as RoutingSettings


def test_routing_and_metrics_read_the_same_holidays(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNUM_CALENDAR_HOLIDAYS", '["2026-12-11"]')
    monkeypatch.setenv("SIGNUM_CALENDAR_TIMEZONE", "America/Mexico_City")
    routing, metrics = RoutingSettings().calendar, MetricsSettings().calendar
    assert routing == metrics == CalendarSettings()
    assert routing.holidays == [dt.date(2026, 12, 11)]
    # Thursday 10 Dec 2026 -> Monday 14 Dec: Friday the 11th is the local holiday.
    assert not metrics.work_calendar().is_working_day(dt.date(2026, 12, 11))
    assert metrics.work_calendar().working_days_between(dt.date(2026, 12, 10), dt.date(2026, 12, 14)) == 1
    assert str(metrics.tz) == "America/Mexico_City"
