"""Business gauges of the metrics service on its /metrics (Prometheus): oficios by state, overdue
deliveries, p90 response time and savings, per dependencia.

Computed from the pre-aggregated documents (`MetricsService.gauges`) by a periodic job, never on
the scrape itself (a scrape is synchronous and must not wait on the database); the figures are at
most `SIGNUM_METRICS_GAUGES_SECONDS` old. Names follow STYLE.md: `signum_metrics_<what>_<unit>`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

# name, help
GAUGES: tuple[tuple[str, str], ...] = (
    ("signum_metrics_oficios", "Oficios by their state on the sender's side, per sending dependencia."),
    (
        "signum_metrics_overdue_deliveries",
        "Deliveries open past their response deadline (routing's deadline job marked them), per "
        "receiving dependencia.",
    ),
    (
        "signum_metrics_response_p90_seconds",
        "p90 of the time from delivery to answer, answers of the current month, per receiving dependencia.",
    ),
    (
        "signum_metrics_response_p90_working_days",
        "p90 of the working days from delivery to answer, answers of the current month, per receiving "
        "dependencia.",
    ),
    ("signum_metrics_savings_mxn", "Estimated money saved by the oficios sent this month, per dependencia."),
    ("signum_metrics_savings_sheets", "Estimated sheets of paper not printed this month, per dependencia."),
    ("signum_metrics_savings_co2_kilograms", "Estimated kg of CO2 avoided this month, per dependencia."),
    ("signum_metrics_savings_transit_hours", "Estimated officials' hours in transit avoided this month."),
)


class BusinessGauges(Collector):
    """Serves the last snapshot `update` was given (empty until the first one)."""

    def __init__(self) -> None:
        self._snapshot: list[dict[str, Any]] = []

    def update(self, snapshot: list[dict[str, Any]]) -> None:
        """Replace the figures (one dict per dependencia, as `MetricsService.gauges` builds them)."""
        self._snapshot = snapshot

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """The gauges, one sample per dependencia (and state, for oficios)."""
        families = {name: GaugeMetricFamily(name, text, labels=_labels(name)) for name, text in GAUGES}
        for row in self._snapshot:
            dep = row["dependencia"]
            for estado, count in row["oficios"].items():
                families["signum_metrics_oficios"].add_metric([dep, estado], count)
            families["signum_metrics_overdue_deliveries"].add_metric([dep], row["vencidos"])
            for name, key in (
                ("signum_metrics_response_p90_seconds", "p90_segundos"),
                ("signum_metrics_response_p90_working_days", "p90_dias_habiles"),
            ):
                if row[key] is not None:  # no answer this month: no sample rather than a false 0
                    families[name].add_metric([dep], row[key])
            for name, key in (
                ("signum_metrics_savings_mxn", "total_mxn"),
                ("signum_metrics_savings_sheets", "hojas"),
                ("signum_metrics_savings_co2_kilograms", "co2"),
                ("signum_metrics_savings_transit_hours", "horas"),
            ):
                families[name].add_metric([dep], row["ahorros"][key])
        yield from families.values()

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The families without samples (the registry checks names at registration)."""
        for name, text in GAUGES:
            yield GaugeMetricFamily(name, text, labels=_labels(name))


def _labels(name: str) -> list[str]:
    return ["dependencia", "estado"] if name == "signum_metrics_oficios" else ["dependencia"]
