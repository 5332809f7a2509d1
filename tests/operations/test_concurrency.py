"""Shared code called from the web server's threads at once (found by the load test)."""

from __future__ import annotations

import sys
import threading

from procure.clause_library.services.search import terms

TEXT = (
    "Réversibilité des données et accompagnement à la sortie : le titulaire restitue les "
    "données, les traitements paramétrés, la documentation et les journaux dans des formats "
    "ouverts ; les prestations de réversibilité sont rémunérées au bordereau des prix unitaires."
)


def test_library_search_terms_are_thread_safe():
    expected = terms(TEXT)
    problems: list[str] = []
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(300):
            try:
                got = terms(TEXT)
            except Exception as exc:  # noqa: BLE001 - what the load test saw: IndexError
                problems.append(repr(exc))
                return
            if got != expected:
                problems.append("stems differ")
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy server does
    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert problems == []


def test_two_saves_of_the_same_version_cannot_both_win(engine, make_user):
    """Both saves pass the version check before either writes, as two server threads can (the
    load test saw it): the second one must be refused, never overwrite the first."""
    import pytest
    from sqlalchemy import event
    from sqlmodel import Session, select

    from procure.core.errors import Conflict
    from procure.core.models import AuditEvent
    from procure.tenders import services as svc
    from procure.tenders.models import Tender
    from tests.factories import actor_of, make_tender, tender_data

    owner = make_user("buyer")
    with Session(engine, expire_on_commit=False) as setup:
        tender = make_tender(setup, owner)
    version = tender.lock_version
    checked, first_done = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    def second_save() -> None:
        with Session(engine, expire_on_commit=False) as second:
            paused = []

            @event.listens_for(second, "before_flush")
            def _pause(*_args) -> None:  # the version check has passed; now let the first win
                if not paused:
                    paused.append(True)
                    checked.set()
                    assert first_done.wait(30)

            try:
                svc.update_tender(
                    session=second, actor=actor_of(owner), tender_id=tender.id,
                    data=tender_data(title="Titre du second"), lock_version=version,
                )  # fmt: skip
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - examined below
                outcome.append(exc)

    thread = threading.Thread(target=second_save)
    thread.start()
    assert checked.wait(30)
    with Session(engine, expire_on_commit=False) as first:
        svc.update_tender(
            session=first, actor=actor_of(owner), tender_id=tender.id,
            data=tender_data(title="Titre du premier"), lock_version=version,
        )  # fmt: skip
    first_done.set()
    thread.join(timeout=60)
    [error] = outcome
    with pytest.raises(Conflict, match="modifié par ailleurs"):
        if error is not None:
            raise error
    with Session(engine) as check:
        saved = check.get(Tender, tender.id)
        assert (saved.title, saved.lock_version) == ("Titre du premier", version + 1)
        updates = check.exec(select(AuditEvent).where(AuditEvent.action == "tender.update")).all()
        assert len(updates) == 1
