"""The directory's public HTTP schemas (Spanish field names: the API speaks the users' language)."""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from signum.gateway.directory.domain import Dependencia, Funcionario, Puesto, Suplencia, Unidad
from signum.gateway.directory.service import FuncionarioDetalle, ImportReport, SuplenciaDetalle, UnidadDetalle
from signum.platform.errors import ValidationFailedError

Clave = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
]


class Schema(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ResumenEntidad(Schema):
    creados: int
    actualizados: int
    sin_cambios: int


class CambioImportacion(Schema):
    tipo: str = Field(description="dependencia, unidad, puesto o funcionario.")
    accion: str = Field(description="creado o actualizado.")
    id: str = Field(description="Su clave (el número de empleado de un funcionario).")
    nombre: str
    campos: list[str] = Field(description="Lo que cambia, en una actualización.")


class ReporteImportacion(Schema):
    """What an import did, or on a dry run (`simulacion`) would do."""

    simulacion: bool
    filas: int
    resumen: dict[str, ResumenEntidad] = Field(
        description="Por tipo: dependencias, unidades, puestos, funcionarios."
    )
    puestos_desocupados: list[str] = Field(
        description="Puestos que quedan vacantes porque su titular se movió."
    )
    funcionarios_sin_puesto: list[str]
    funcionarios_no_incluidos: int = Field(
        description="Funcionarios del directorio que no vienen en el archivo: no se eliminan."
    )
    columnas_ignoradas: list[str]
    eventos: int = Field(description="Eventos del directorio escritos para publicarse en Kafka.")
    segundos_validacion: float
    segundos_escritura: float
    avisos: list[str]
    cambios: list[CambioImportacion] = Field(
        description="Qué se crea o cambia, entidad por entidad (las primeras 1,000)."
    )

    @classmethod
    def of(cls, report: ImportReport) -> ReporteImportacion:
        return cls(
            simulacion=report.simulacion,
            filas=report.filas,
            resumen={k: ResumenEntidad(**v) for k, v in report.resumen.items()},
            puestos_desocupados=report.puestos_desocupados,
            funcionarios_sin_puesto=report.funcionarios_sin_puesto,
            funcionarios_no_incluidos=report.funcionarios_no_incluidos,
            columnas_ignoradas=report.columnas_ignoradas,
            eventos=report.eventos,
            segundos_validacion=report.segundos_validacion,
            segundos_escritura=report.segundos_escritura,
            avisos=report.avisos,
            cambios=[
                CambioImportacion(tipo=c.tipo, accion=c.accion, id=c.id, nombre=c.nombre, campos=c.campos)
                for c in report.detalle
            ],
        )


class DependenciaOut(Schema):
    id: str
    nombre: str
    activa: bool

    @classmethod
    def of(cls, d: Dependencia) -> DependenciaOut:
        return cls(id=d.id, nombre=d.nombre, activa=d.activa)


class UnidadOut(Schema):
    id: str
    dependencia_id: str
    nombre: str
    padre_id: str | None
    prefijo_folio: str
    activa: bool

    @classmethod
    def of(cls, u: Unidad) -> UnidadOut:
        return cls(
            id=u.id,
            dependencia_id=u.dependencia_id,
            nombre=u.nombre,
            padre_id=u.padre_id,
            prefijo_folio=u.prefijo_folio,
            activa=u.activa,
        )


class FuncionarioResumen(Schema):
    """An official as other officials see them (no RFC or CURP: those are personal data)."""

    id: str = Field(description="Número de empleado.")
    nombre_completo: str
    nombre: str
    apellido_paterno: str
    apellido_materno: str
    correo: str
    roles: list[str]
    activo: bool

    @classmethod
    def of(cls, f: Funcionario) -> FuncionarioResumen:
        return cls(
            id=f.id,
            nombre_completo=f.nombre_completo,
            nombre=f.nombre,
            apellido_paterno=f.apellido_paterno,
            apellido_materno=f.apellido_materno,
            correo=f.correo,
            roles=sorted(f.roles),
            activo=f.activo,
        )


class PuestoOut(Schema):
    id: str
    unidad_id: str
    titulo: str
    es_titular: bool
    reporta_a: str | None
    activo: bool
    ocupante: FuncionarioResumen | None = Field(description="Quien ocupa el puesto; null si está vacante.")

    @classmethod
    def of(cls, p: Puesto, ocupante: Funcionario | None) -> PuestoOut:
        return cls(
            id=p.id,
            unidad_id=p.unidad_id,
            titulo=p.titulo,
            es_titular=p.es_titular,
            reporta_a=p.reporta_a,
            activo=p.activo,
            ocupante=FuncionarioResumen.of(ocupante) if ocupante is not None else None,
        )


class UnidadDetalleOut(UnidadOut):
    puestos: list[PuestoOut]

    @classmethod
    def of_detalle(cls, d: UnidadDetalle) -> UnidadDetalleOut:
        return cls(**UnidadOut.of(d.unidad).model_dump(), puestos=[PuestoOut.of(p, f) for p, f in d.puestos])


class PuestoResumen(Schema):
    id: str
    titulo: str
    es_titular: bool
    reporta_a: str | None


class FuncionarioOut(FuncionarioResumen):
    puesto: PuestoResumen | None
    unidad: UnidadOut | None

    @classmethod
    def of_detalle(cls, d: FuncionarioDetalle) -> FuncionarioOut:
        p = d.puesto
        return cls(
            **FuncionarioResumen.of(d.funcionario).model_dump(),
            puesto=PuestoResumen(id=p.id, titulo=p.titulo, es_titular=p.es_titular, reporta_a=p.reporta_a)
            if p is not None
            else None,
            unidad=UnidadOut.of(d.unidad) if d.unidad is not None else None,
        )


class PaginaFuncionarios(Schema):
    funcionarios: list[FuncionarioOut]
    siguiente: str | None = Field(description="Cursor de la página siguiente; null en la última.")


class SuplenciaIn(Schema):
    puesto_id: Clave = Field(description="Puesto cuyo ocupante estará ausente.")
    suplente_id: Clave = Field(description="Número de empleado de quien lo suple.")
    desde: date
    hasta: date
    motivo: str = Field(default="", max_length=500)


class SuplenciaOut(Schema):
    id: str
    puesto_id: str
    suplente_id: str
    desde: date
    hasta: date
    motivo: str
    cancelada: bool
    puesto_titulo: str | None = Field(default=None, description="El puesto, como se lee.")
    unidad_id: str | None = None
    unidad_nombre: str | None = None
    ausente_id: str | None = Field(default=None, description="Quien ocupa hoy el puesto (el suplido).")
    ausente_nombre: str | None = None
    suplente_nombre: str | None = None

    @classmethod
    def of(cls, s: Suplencia, detalle: SuplenciaDetalle | None = None) -> SuplenciaOut:
        puesto, unidad = (detalle.puesto, detalle.unidad) if detalle else (None, None)
        ausente, suplente = (detalle.ausente, detalle.suplente) if detalle else (None, None)
        return cls(
            id=s.id,
            puesto_id=s.puesto_id,
            suplente_id=s.suplente_id,
            desde=s.desde,
            hasta=s.hasta,
            motivo=s.motivo,
            cancelada=s.cancelada,
            puesto_titulo=puesto.titulo if puesto else None,
            unidad_id=unidad.id if unidad else None,
            unidad_nombre=unidad.nombre if unidad else None,
            ausente_id=ausente.id if ausente else None,
            ausente_nombre=ausente.nombre_completo if ausente else None,
            suplente_nombre=suplente.nombre_completo if suplente else None,
        )

    @classmethod
    def of_detalle(cls, d: SuplenciaDetalle) -> SuplenciaOut:
        return cls.of(d.suplencia, d)


def encode_cursor(value: str | None) -> str | None:
    """An opaque page cursor."""
    return None if value is None else base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailedError("El cursor de página no es válido.", code="cursor_invalid") from None
