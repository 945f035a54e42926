"""What the routes that relay a service's answer send back, for the OpenAPI document.

These routes return the service's JSON as it comes (the service owns its shape); the models here
only document it (`signum.gateway.openapi.RESPONSES`), so nothing is validated or re-serialised on
the way. A field a service leaves out in some cases is optional here; nested data the service
builds freely (event payloads, a template's design) stays an object.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

# --- oficios: versions and comments (drafting) ---------------------------------------------------


class VersionResumen(BaseModel):
    """Una versión guardada del oficio."""

    n: int
    guardada_por: str | None = None
    guardada_en: datetime | None = None
    asunto: str | None = None


class Version(BaseModel):
    """El oficio tal como quedó en una versión (sus campos, su contenido)."""

    n: int
    oficio_id: str | None = None
    asunto: str | None = None
    contenido: dict[str, Any] | None = None
    guardada_por: str | None = None
    guardada_en: datetime | None = None


class RespuestaComentario(BaseModel):
    id: str
    autor_id: str
    texto: str
    creado_en: datetime


class Comentario(BaseModel):
    """Un comentario anclado a un bloque (y, opcionalmente, a un rango de texto) de una versión."""

    id: str
    oficio_id: str
    autor_id: str
    texto: str
    ancla: dict[str, Any]
    respuestas: list[RespuestaComentario]
    resuelto: bool
    resuelto_por: str | None = None
    resuelto_en: datetime | None = None
    creado_en: datetime


# --- templates (drafting) ------------------------------------------------------------------------


class Plantilla(BaseModel):
    """Una plantilla del oficio (su diseño y su versión)."""

    id: str
    version: int | None = None
    nombre: str | None = None
    plantilla: dict[str, Any] | None = Field(default=None, description="El diseño.")


class CatalogoPlantillas(BaseModel):
    """Lo que ofrece el diseñador de plantillas: marcadores, bloques, fuentes y tamaños."""


# --- documents (storage) -------------------------------------------------------------------------


class ObjetoGuardado(BaseModel):
    """Un archivo guardado: dónde y con qué huella."""

    clave: str
    sha256: str
    tamano: int
    bucket: str
    media_type: str


class EventoBitacora(BaseModel):
    seq: int
    event_id: str
    tipo: str
    descripcion: str | None = None
    cuando: datetime
    quien: dict[str, Any]
    productor: str
    detalle: dict[str, Any] | None = None


class LineaDeTiempo(BaseModel):
    """La bitácora del oficio: cada evento, en orden."""

    oficio_id: str
    eventos: list[EventoBitacora]


# --- signing -------------------------------------------------------------------------------------


class Firmante(BaseModel):
    """Quien firma, según su certificado."""

    nombre: str | None = None
    rfc: str | None = None
    curp: str | None = None


class PreparacionFirma(BaseModel):
    """Firma en el navegador, paso 1: lo que la e.firma firma."""

    id: str
    to_be_signed: str = Field(description="Base64.")
    digest: str = Field(description="Base64.")
    algoritmo: str
    expira: datetime
    firmante: dict[str, Any]


class ResultadoFirma(BaseModel):
    """El oficio firmado (o, para un documento suelto, su PDF firmado en base64)."""

    pdf: str | None = Field(default=None, description="Base64.")
    firmante: dict[str, Any] | None = None
    nivel: str | None = Field(default=None, description="Nivel PAdES alcanzado.")


class ResultadoLote(BaseModel):
    """Firmas de un lote: por oficio, su resultado o su error; o los PDFs firmados."""

    firmadas: int
    resultados: list[dict[str, Any]] | None = None
    pdfs: list[str] | None = None
    firmante: dict[str, Any] | None = None


class PorFirmar(BaseModel):
    oficio_id: str
    folio: str | None = None
    asunto: str | None = None
    unidad_id: str | None = None
    orden: int
    cargo: str = ""
    en_ausencia_de: str | None = None
    firmas_realizadas: int
    firmas_requeridas: int
    firmantes_previos: list[str]
    finalizado_en: str | None = None


class PendientesDeFirma(BaseModel):
    """Oficios cuya siguiente firma es de quien pregunta."""

    oficios: list[PorFirmar]


class FirmaVerificada(BaseModel):
    campo: str | None = None
    valida: bool
    nombre: str | None = None
    rfc: str | None = None
    curp: str | None = None
    cargo: str | None = None
    fecha_firma: str | None = None
    nivel_pades: str | None = None
    indicacion: str | None = None  # EU DSS's: TOTAL_PASSED, INDETERMINATE, TOTAL_FAILED
    subindicacion: str | None = None
    motivo: str | None = None
    resumen: str | None = None


class Verificacion(BaseModel):
    """El informe de verificación de un PDF (RFC enmascarado y sin CURP para quien no es
    funcionario con sesión)."""

    valida: bool
    resumen: str | None = None
    sha256: str | None = None
    firmas: list[FirmaVerificada] = Field(default_factory=list)


class VerificacionDocumento(BaseModel):
    """Un oficio (o un acuse, `tipo: acuse`) por su identificador o su código: su estado y el
    informe de verificación de su PDF vigente."""

    tipo: str | None = None
    oficio_id: str
    entrega_id: str | None = None
    codigo: str
    folio: str | None = None
    estado: str | None = None
    firmas_requeridas: int
    firmas_realizadas: int
    documento: dict[str, Any] | None = None
    reporte: Verificacion


# --- inbox and deliveries (routing) --------------------------------------------------------------


class ElementoBandeja(BaseModel):
    """Un elemento de una carpeta de la bandeja."""

    id: str = Field(description="`o:<oficio>` o `e:<entrega>`.")
    tipo: str | None = Field(default=None, description="oficio o entrega.")
    carpeta: str | None = None
    fecha: datetime | None = None
    oficio_id: str | None = None
    entrega_id: str | None = None
    motivo: str | None = None
    folio: str | None = None
    asunto: str | None = None
    estado: str | None = None
    prioridad: str | None = None
    remitente: Any = None
    remitente_unidad: Any = None
    leido: bool | None = None
    fecha_limite: str | None = None
    vencido: bool | None = None
    instruccion: str | None = None
    en_lugar_de: str | None = None
    destinatarios: Any = Field(
        default=None, description="Enviados: cuántos destinatarios hay en cada estado."
    )


class PaginaBandeja(BaseModel):
    """Una página de una carpeta; `siguiente` es el cursor de la próxima (null: no hay más)."""

    carpeta: str
    elementos: list[ElementoBandeja]
    siguiente: str | None = None


class Pendientes(BaseModel):
    """Lo que espera a quien pregunta (la página de inicio)."""

    por_revisar: int
    por_firmar: int
    recibidos_sin_abrir: int
    turnados_sin_abrir: int
    copias_sin_abrir: int = Field(default=0, description="Copias (C.c.p.) aún sin abrir.")
    vencidos: int
    vencidos_por_carpeta: dict[str, int]


class OficioDeEntrega(BaseModel):
    id: str
    folio: str | None = None
    asunto: str | None = None
    prioridad: str | None = None
    remitente: Any = None
    remitente_unidad: Any = None
    remitente_unidad_nombre: str | None = Field(
        default=None,
        description="La unidad remitente por su nombre, o la organización de un documento en papel.",
    )
    kind: str | None = Field(
        default=None, description="Tipo de documento: `registro` para uno recibido en papel."
    )
    documento: dict[str, Any] | None = None


class ResumenEntrega(BaseModel):
    """Una entrega: a quién, por qué (destinatario, copia, turno), su estado y su acuse."""

    id: str
    motivo: str | None = None
    funcionario_id: str | None = None
    unidad_id: str | None = None
    estado: str | None = None
    leido: bool | None = None
    creado_en: datetime | None = None
    recibido_en: datetime | None = None
    recibido_por: str | None = None
    fecha_limite: str | None = None
    vencido: bool | None = None
    padre_id: str | None = None
    turnado_por: str | None = None
    instruccion: str | None = None
    instruccion_texto: str | None = None
    nota: str | None = None
    en_lugar_de: str | None = None
    archivado: bool | None = None
    motivo_cierre: str | None = None
    respuesta: Any = None
    acuse: Any = None
    acuse_pendiente: Any = None
    escalado_a: Any = None


class Entrega(ResumenEntrega):
    """Una entrega con su oficio y los nombres de las personas que menciona."""

    oficio: OficioDeEntrega
    nombres: dict[str, str] = Field(default_factory=dict)


class NodoTurnos(ResumenEntrega):
    """Una entrega y lo que se turnó a partir de ella."""

    nombre: str
    turnos: list[NodoTurnos]


class EventoTrayectoria(BaseModel):
    tipo: str
    descripcion: str | None = None
    cuando: datetime
    quien: dict[str, Any]
    quien_nombre: str


class Historial(BaseModel):
    """La trayectoria del oficio de una entrega: quién, cuándo, qué."""

    oficio_id: str
    folio: str | None = None
    eventos: list[EventoTrayectoria]


class Seguimiento(BaseModel):
    """Lo que ve quien envió el oficio: cada destinatario (estado, recepción, acuse) y la trayectoria."""

    oficio: dict[str, Any]
    destinatarios: list[dict[str, Any]]
    externos: list[Any]
    eventos: list[EventoTrayectoria]


class Registro(BaseModel):
    """Un documento en papel registrado por la oficialía de partes, y a quién se entregó."""

    oficio_id: str
    folio: str | None = None
    documento: dict[str, Any] | None = None
    entregas: list[ResumenEntrega]


# --- indicators (metrics) -------------------------------------------------------------------------


class Etapa(BaseModel):
    """Tiempos de una etapa: mediana y p90 en días hábiles y en horas."""

    nombre: str
    n: int
    mediana_dias_habiles: float | None = None
    p90_dias_habiles: float | None = None
    mediana_horas: float | None = None
    p90_horas: float | None = None
    promedio_horas: float | None = None


class ResumenIndicadores(BaseModel):
    """Contadores (enviados, recibidos, vencidos...), cumplimiento de plazos y tiempos por etapa."""

    contadores: dict[str, int]
    cumplimiento: float | None = Field(None, description="Fracción de entregas con plazo resueltas a tiempo.")
    etapas: dict[str, Etapa] = Field(default_factory=dict)


class PeriodoIndicadores(ResumenIndicadores):
    periodo: str


class Ahorro(BaseModel):
    """Una cifra de ahorro con la fórmula y los supuestos de los que sale."""

    clave: str
    concepto: str
    valor: float
    unidad: str
    formula: str
    supuestos: dict[str, float]


class AlcanceIndicadores(BaseModel):
    tipo: str
    id: str | None = None
    unidades: list[str] = Field(default_factory=list)


class IndicadoresUnidad(ResumenIndicadores):
    unidad_id: str
    nombre: str


class IndicadoresFuncionario(BaseModel):
    funcionario_id: str
    nombre: str
    enviados: int
    recibidos: int
    respondidos: int
    vencidos: int


class IndicadoresPuesto(IndicadoresFuncionario):
    """Un puesto con quien lo ocupa hoy: lo que hizo en el periodo y lo que espera en su escritorio."""

    puesto_id: str
    titulo: str
    unidad_id: str
    es_titular: bool
    p90_atencion_dias_habiles: float | None = None
    pendientes: int = Field(description="Entregas abiertas en su escritorio hoy (no turnadas).")
    pendientes_vencidos: int
    espera_max_dias_habiles: int | None = None
    espera_mediana_dias_habiles: float | None = None


class EtapaLenta(Etapa):
    etapa: str


class CuellosDeBotella(BaseModel):
    """Dónde esperan más los oficios: las etapas por su p90 y los escritorios por su espera más larga."""

    etapas: list[EtapaLenta]
    escritorios: list[IndicadoresPuesto]


class Indicadores(BaseModel):
    """Indicadores del periodo y el alcance pedidos."""

    periodo: str
    desde: str
    hasta: str
    alcance: AlcanceIndicadores
    totales: ResumenIndicadores
    series: list[PeriodoIndicadores]
    ahorros: list[Ahorro]
    por_unidad: list[IndicadoresUnidad] | None = None
    por_funcionario: list[IndicadoresFuncionario] | None = None
    por_puesto: list[IndicadoresPuesto] | None = None
    cuellos_de_botella: CuellosDeBotella | None = None
