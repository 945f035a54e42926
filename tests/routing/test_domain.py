"""Routing's domain rules without I/O: working days, folders, delivery ids."""

from __future__ import annotations

import datetime as dt
from typing import Any

from signum.platform.calendar import WorkCalendar, mexican_federal_holidays
from signum.routing import domain


def test_federal_holidays_of_2026_follow_the_ley_federal_del_trabajo() -> None:
    assert mexican_federal_holidays(2026) == {
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 2),  # first Monday of February
        dt.date(2026, 3, 16),  # third Monday of March
        dt.date(2026, 5, 1),
        dt.date(2026, 9, 16),
        dt.date(2026, 11, 16),  # third Monday of November
        dt.date(2026, 12, 25),
    }
    assert dt.date(2030, 10, 1) in mexican_federal_holidays(2030)  # transmisión del Poder Ejecutivo


def test_working_days_skip_weekends_federal_and_local_holidays() -> None:
    calendar = WorkCalendar(frozenset({dt.date(2026, 11, 18)}))
    # Friday 13 Nov 2026 + 3 working days: Mon 16 is a federal holiday, Wed 18 a local one
    # -> Tue 17, Thu 19, Fri 20.
    assert calendar.add_working_days(dt.date(2026, 11, 13), 3) == dt.date(2026, 11, 20)
    assert calendar.working_days_between(dt.date(2026, 11, 13), dt.date(2026, 11, 20)) == 3
    assert calendar.working_days_between(dt.date(2026, 11, 20), dt.date(2026, 11, 13)) == -3
    assert not WorkCalendar(federal=False).is_working_day(dt.date(2026, 11, 14))
    assert WorkCalendar(federal=False).is_working_day(dt.date(2026, 11, 16))


def test_delivery_ids_are_fixed_by_what_they_are_and_name_their_oficio() -> None:
    first = domain.entrega_id("0190-abc", "destinatario", "70001")
    assert first == domain.entrega_id("0190-abc", "destinatario", "70001")
    assert first != domain.entrega_id("0190-abc", "copia", "70001")
    assert domain.oficio_of(first) == "0190-abc"


def test_folders_of_deliveries_and_of_oficios() -> None:
    assert domain.delivery_folder({"motivo": "destinatario"}) == "recibidos"
    assert domain.delivery_folder({"motivo": "oficialia"}) == "recibidos"
    assert domain.delivery_folder({"motivo": "copia"}) == "copias"
    assert domain.delivery_folder({"motivo": "turno"}) == "turnados"
    assert domain.delivery_folder({"motivo": "turno", "archivado": True}) == "archivados"
    oficio = {
        "status": "firmando",
        "participantes": ["1", "2"],
        "author_id": "1",
        "firmantes": [{"funcionario_id": "2", "firmado": True}, {"funcionario_id": "3"}],
    }
    assert domain.oficio_folder(oficio, "3") == "por_firmar"
    assert domain.oficio_folder(oficio, "1") == "borradores"
    assert domain.oficio_folder({**oficio, "status": "enviado"}, "3") == "enviados"
    assert domain.oficio_folder({**oficio, "status": "cancelado"}, "1") is None


def test_a_pending_review_is_in_por_revisar_until_given() -> None:
    oficio = {"status": "en_revision", "participantes": ["1", "2", "3"], "revisores_pendientes": ["2"]}
    assert domain.oficio_folder(oficio, "2") == "por_revisar"
    assert domain.oficio_folder(oficio, "3") == "borradores"  # gave visto bueno already
    assert domain.oficio_folder({**oficio, "status": "borrador"}, "2") == "borradores"  # changes asked
    assert "por_revisar" in domain.WAITING_FOLDERS


def test_the_senders_summary_counts_recipients_not_copies_nor_turnos() -> None:
    def d(i: str, motivo: str, estado: str, padre: str | None = None) -> dict[str, object]:
        return {"id": i, "motivo": motivo, "estado": estado, "padre_id": padre, "creado_en": "2026-12-01"}

    oficio = {
        "entregas": {
            "a": d("a", "destinatario", "recibido"),
            "b": d("b", "oficialia", "enviado"),
            "c": d("c", "copia", "enviado"),
            "t": d("t", "turno", "enviado", padre="a"),
            "e": d("e", "destinatario", "recibido"),
        }
    }
    assert [x["id"] for x in domain.sent_deliveries(oficio)] == ["a", "e", "b", "c"]
    assert domain.recipients_summary(oficio) == {"recibido": 2, "enviado": 1}
    # The API shows it in lifecycle order.
    assert domain.summary_in_order(domain.recipients_summary(oficio)) == [
        {"estado": "enviado", "n": 1},
        {"estado": "recibido", "n": 2},
    ]


def test_search_text_ignores_case_and_accents() -> None:
    assert domain.fold("Obra PÚBLICA, Año") == "obra publica, ano"


def test_an_answer_drafted_down_a_turno_answers_what_was_turned_and_the_office_s_mailbox_copy() -> None:
    def d(
        id_: str,
        unidad: str,
        estado: str = "recibido",
        motivo: str = "destinatario",
        padre: str | None = None,
    ) -> dict[str, Any]:
        return {"id": id_, "unidad_id": unidad, "estado": estado, "motivo": motivo, "padre_id": padre}

    entregas = {
        e["id"]: e
        for e in (
            d("titular", "SAY", estado="turnado"),
            d("buzon", "SAY", motivo="oficialia"),
            d("turno", "SAY-DJ", motivo="turno", padre="titular"),
            d("copia", "SAY", motivo="copia"),
            d("otra", "TES"),
            d("cerrada", "SAY", estado="concluido"),
        )
    }
    closed = sorted(e["id"] for e in domain.answered_by(entregas, "SAY-DJ"))
    assert closed == ["buzon", "titular", "turno"]
    # Answered by the office itself: its deliveries, nothing it did not receive.
    assert sorted(e["id"] for e in domain.answered_by(entregas, "SAY")) == ["buzon", "titular"]
    assert domain.answered_by(entregas, "OTRA") == []
