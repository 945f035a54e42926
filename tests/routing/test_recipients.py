"""Recipients are looked up at once and their deliveries added in the order they were addressed
(recipients.py), without servers."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

from signum.contracts.directory import PuestoPayload
from signum.routing.recipients import Recipients

TODAY = dt.date(2026, 12, 1)


class SlowFirst:
    """A directory whose look-up of the first person answers only once the second was asked: done
    one after another, the look-ups would wait forever."""

    def __init__(self) -> None:
        self.second_asked = asyncio.Event()

    async def puesto_de(self, funcionario_id: str) -> PuestoPayload | None:
        if funcionario_id == "A":
            await self.second_asked.wait()
        else:
            self.second_asked.set()
        return PuestoPayload(
            id=f"P-{funcionario_id}",
            revision=1,
            unidad_id=f"U-{funcionario_id}",
            titulo="Analista",
            es_titular=False,
            funcionario_id=funcionario_id,
        )


async def test_recipients_are_looked_up_at_once_and_added_in_the_order_addressed() -> None:
    recipients = Recipients(SlowFirst())  # type: ignore[arg-type]
    added: list[tuple[Any, ...]] = []
    externos: list[tuple[dict[str, Any], str]] = []

    def add(motivo: str, owner: str | None, unidad_id: str | None, **fields: Any) -> None:
        added.append((motivo, owner, unidad_id, fields.get("puesto_id")))

    addressed = [
        ({"tipo": "funcionario", "id": "A"}, "destinatario"),
        ({"tipo": "externo", "nombre": "Lic. Fuera", "correo": "f@x.mx"}, "destinatario"),
        ({"tipo": "funcionario", "id": "B"}, "copia"),
    ]
    await asyncio.wait_for(recipients.resolve_all(addressed, add, externos, TODAY), timeout=10)

    assert added == [
        ("destinatario", "A", "U-A", "P-A"),
        ("copia", "B", "U-B", "P-B"),
    ]
    assert externos == [({"tipo": "externo", "nombre": "Lic. Fuera", "correo": "f@x.mx"}, "f@x.mx")]
