"""Four eyes: nobody who edited a version, at any time, may approve or reject it."""

from __future__ import annotations

import pytest

from procure.clause_library import services as service
from procure.core.errors import Forbidden
from tests.clause_library import test_clauses as base
from tests.clause_library.test_clauses import actor, synced, version_of

library = base.library  # the same fixture: a copy of the real clause files

KEY = "reversibilite.plan-de-reversibilite"


def _edit(session, user, replace: tuple[str, str]):
    version = version_of(session, KEY)
    data = service.form_of(*service.get_version_by_number(session=session, key=KEY, number=1))
    service.update_draft(
        session=session,
        actor=actor(user),
        version_id=version.id,
        lock_version=version.lock_version,
        data={**data, "body": data["body"].replace(*replace)},
    )


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_an_earlier_editor_cannot_review_after_a_later_edit(
    session,
    library,
    make_user,
    decision,
):
    author, early, late, clean = (make_user("legal") for _ in range(4))
    synced(session, library, author)
    _edit(session, early, ("sans perte de données", "sans aucune perte de données"))
    _edit(session, late, ("un plan de réversibilité", "un plan de sortie"))
    version = version_of(session, KEY)
    assert version.updated_by_id == late.id  # the last editor is not the earlier one
    service.submit(session=session, actor=actor(author), version_id=version.id)
    review = getattr(service, decision)
    for editor in (author, early, late):
        with pytest.raises(Forbidden, match="quatre yeux"):
            review(session=session, actor=actor(editor), version_id=version.id, comment="Relu.")
    assert version_of(session, KEY).status == "in_review"
    review(session=session, actor=actor(clean), version_id=version.id, comment="Relu.")
    assert version_of(session, KEY).status == ("approved" if decision == "approve" else "rejected")


def test_home_panel_offers_the_review_only_to_those_who_never_edited(
    session,
    library,
    make_user,
):
    from procure.clause_library.services.pending import pending_work

    author, early, late, clean = (make_user("legal") for _ in range(4))
    synced(session, library, author)
    _edit(session, early, ("sans perte de données", "sans aucune perte de données"))
    _edit(session, late, ("un plan de réversibilité", "un plan de sortie"))
    service.submit(session=session, actor=actor(author), version_id=version_of(session, KEY).id)

    def to_review(user):
        return [i["params"]["key"] for i in pending_work(session=session, user=user)[0]["items"]]

    assert KEY not in to_review(early) and KEY not in to_review(late)
    assert KEY in to_review(clean)
