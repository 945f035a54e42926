"""The inbox entries an oficio's document implies (projection.py), without servers."""

from __future__ import annotations

import datetime as dt

from signum.routing import projection

SENT = dt.datetime(2026, 12, 1, 16, 0, tzinfo=dt.UTC)


def _oficio() -> dict[str, object]:
    def delivery(i: str, motivo: str, owner: str | None, estado: str = "enviado") -> dict[str, object]:
        return {"id": i, "motivo": motivo, "funcionario_id": owner, "unidad_id": "ING", "estado": estado}

    entregas = {
        "o1_a": delivery("o1_a", "destinatario", "80001", "recibido") | {"leido": True},
        "o1_b": delivery("o1_b", "oficialia", None) | {"buzon_unidad_id": "ING-OP"},
        "o1_c": delivery("o1_c", "copia", "70001"),
    }
    for d in entregas.values():
        d["creado_en"] = SENT
    return {
        "_id": "o1",
        "status": "enviado",
        "folio": "TES/SEC/0001/2026",
        "asunto": "Cierre del ejercicio",
        "author_id": "90001",
        "participantes": ["90001", "90002"],
        "firmantes": [{"orden": 1, "funcionario_id": "90003", "firmado": True}],
        "enviado_en": SENT,
        "entregas": entregas,
    }


def test_each_delivery_goes_to_its_owner_and_the_oficio_to_its_sender_side() -> None:
    write, remove = projection.entries(_oficio(), dt.date(2026, 12, 2))
    by_owner = {(owner, entry["id"]): entry for owner, entry in write}
    assert set(by_owner) == {
        ("80001", "e:o1_a"),
        ("unidad:ING-OP", "e:o1_b"),
        ("70001", "e:o1_c"),
        ("90001", "o:o1"),  # the author and the signer follow it in «Enviados»
        ("90003", "o:o1"),
    }
    assert remove == [("90002", "o:o1")]  # a collaborator who did not sign: no longer in their inbox
    assert by_owner[("70001", "e:o1_c")]["carpeta"] == "copias"
    assert by_owner[("80001", "e:o1_a")]["leido"] is True
    assert by_owner[("90001", "o:o1")]["destinatarios"] == {"recibido": 1, "enviado": 1}


def test_people_only_leaves_the_deliveries_alone() -> None:
    write, _ = projection.entries(_oficio(), dt.date(2026, 12, 2), people_only=True)
    assert {entry["id"] for _, entry in write} == {"o:o1"}


def test_only_deliveries_new_to_their_owner_count_as_news() -> None:
    write, _ = projection.entries(_oficio(), dt.date(2026, 12, 2))
    written = projection.Written(write, created=[("80001", "e:o1_a"), ("90001", "o:o1")])
    news = written.news()
    assert news["80001"] == 1
    assert news["90001"] == 0  # told to look again, quietly
    assert news["70001"] == 0


def test_the_api_shows_an_entry_by_its_id_with_the_summary_in_lifecycle_order() -> None:
    write, _ = projection.entries(_oficio(), dt.date(2026, 12, 2))
    entry = next(e for owner, e in write if owner == "90001")
    stored = {k: v for k, v in entry.items() if k != "id"} | {
        "_id": {"dueno": "90001", "entrada": "o:o1"},
        "dueno": "90001",
        "entrada": "o:o1",
    }
    shown = projection.public_entry(stored)
    assert shown["id"] == "o:o1"
    assert not {"_id", "dueno", "entrada", "texto", "orden"} & set(shown)
    assert shown["destinatarios"] == [{"estado": "enviado", "n": 1}, {"estado": "recibido", "n": 1}]
