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


def test_two_saves_of_the_same_clause_draft_cannot_both_win(engine, make_user):
    """Same race for a clause draft: both saves read version N and pass the check, then the first
    commits; the second must get the usual 409 Conflict and the first's text must be kept."""
    import pytest
    from sqlalchemy import event
    from sqlmodel import Session, select

    from procure.clause_library import services as clauses
    from procure.clause_library.models import ClauseVersion
    from procure.core.audit import Actor
    from procure.core.errors import Conflict
    from procure.core.models import AuditEvent
    from tests.factories import load_library

    key = "reversibilite.plan-de-reversibilite"
    first_jurist, second_jurist = make_user("legal"), make_user("legal")
    with Session(engine, expire_on_commit=False) as setup:
        approved = load_library(setup, {key})[key]
        data = clauses.form_of(*clauses.get_version_by_number(session=setup, key=key, number=1))
        draft = clauses.new_draft_from(
            session=setup, actor=Actor.of(first_jurist, "test"), version_id=approved.id, data=data
        )
    version = draft.lock_version
    second_thread: list[threading.Thread] = []
    checked, first_done = threading.Event(), threading.Event()
    outcome: list[BaseException | None] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _pause(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        # The second save has read the draft and passed the check; hold its first write until the
        # first save has committed (before any write, so no lock is held on SQLite or PostgreSQL).
        writes = statement.lstrip().upper().startswith(("UPDATE", "INSERT", "DELETE"))
        if writes and threading.current_thread() in second_thread and not checked.is_set():
            checked.set()
            assert first_done.wait(30)

    def save(session: Session, who, words: str) -> None:
        clauses.update_draft(
            session=session, actor=Actor.of(who, "test"), version_id=draft.id,
            lock_version=version, data={**data, "body": data["body"] + " " + words},
        )  # fmt: skip

    def second_save() -> None:
        with Session(engine, expire_on_commit=False) as second:
            try:
                save(second, second_jurist, "Texte du second.")
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - examined below
                outcome.append(exc)

    try:
        thread = threading.Thread(target=second_save)
        second_thread.append(thread)
        thread.start()
        assert checked.wait(30)
        with Session(engine, expire_on_commit=False) as first:
            save(first, first_jurist, "Texte du premier.")
        first_done.set()
        thread.join(timeout=60)
    finally:
        first_done.set()
        event.remove(engine, "before_cursor_execute", _pause)
    [error] = outcome
    with pytest.raises(Conflict, match="a enregistré ce brouillon pendant que vous le modifiiez"):
        if error is not None:
            raise error
    assert error.changes["lock_version"] == version + 1
    with Session(engine) as check:
        saved = check.get(ClauseVersion, draft.id)
        assert saved.body.endswith("Texte du premier.") and "du second" not in saved.body
        assert (saved.lock_version, saved.updated_by_id) == (version + 1, first_jurist.id)
        updates = check.exec(select(AuditEvent).where(AuditEvent.action == "clause.update")).all()
        assert len(updates) == 1
