"""Settings of the metrics service (`SIGNUM_METRICS_*`)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from signum.metrics.domain import Costos
from signum.platform.calendar import CalendarSettings
from signum.platform.settings import ServiceSettings

_DEFAULT = Costos()


class Settings(ServiceSettings):
    """Metrics's settings. The unit costs of savings are estimates each government sets for itself;
    every figure the API returns carries the values it was computed with."""

    model_config = SettingsConfigDict(env_prefix="SIGNUM_METRICS_", extra="ignore")

    service_name: str = "metrics"
    port: int = 8105
    calendar: CalendarSettings = Field(default_factory=CalendarSettings)
    """Working days and time zone (`SIGNUM_CALENDAR_*`), the same routing counts deadlines on."""

    batch_events: int = Field(default=20000, ge=1)
    """At most this many records of the topics applied together (`MetricsService.apply_batch`)."""

    gauges_seconds: float = Field(default=15.0, gt=0)
    """How often the business gauges on /metrics are computed again from the aggregates."""

    hojas_por_pagina: float = Field(default=_DEFAULT.hojas_por_pagina, gt=0)
    ejemplares_adicionales: int = Field(default=_DEFAULT.ejemplares_adicionales, ge=0)
    impresion_mxn_por_hoja: float = Field(default=_DEFAULT.impresion_mxn_por_hoja, ge=0)
    traslados_por_oficio: float = Field(default=_DEFAULT.traslados_por_oficio, ge=0)
    km_por_traslado: float = Field(default=_DEFAULT.km_por_traslado, ge=0)
    combustible_mxn_por_km: float = Field(default=_DEFAULT.combustible_mxn_por_km, ge=0)
    estacionamiento_mxn_por_traslado: float = Field(default=_DEFAULT.estacionamiento_mxn_por_traslado, ge=0)
    casetas_mxn_por_traslado: float = Field(default=_DEFAULT.casetas_mxn_por_traslado, ge=0)
    horas_por_traslado: float = Field(default=_DEFAULT.horas_por_traslado, ge=0)
    kg_co2_por_hoja: float = Field(default=_DEFAULT.kg_co2_por_hoja, ge=0)
    kg_co2_por_km: float = Field(default=_DEFAULT.kg_co2_por_km, ge=0)

    def costos(self) -> Costos:
        """The unit costs of the savings figures."""
        return Costos(**{name: getattr(self, name) for name in Costos.__dataclass_fields__})
