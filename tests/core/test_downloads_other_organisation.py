"""Every download route, walked with a user of another organisation who holds every role.

The table below names each route that sends a file; a new file route not in it fails the first
test. Tenders and evaluations belong to an organisation (owner, its buyers, assigned evaluators):
another organisation's user gets 403 or 404 and no byte of the file. The sourcing room is one
workspace for the whole instance (public supplier data, no buyer's offer): its exports are open
to every sourcing user, by decision (docs/security.md).
"""

from __future__ import annotations

import re

from procure.core.audit import Actor
from procure.evaluation import services as ev
from procure.tenders.models import TenderDocument
from tests.evaluation.test_blind_scoring import locked_then_unlocked  # noqa: F401
from tests.factories import client_for

FILE_ROUTE = re.compile(r"\.(csv|docx|odt|png|<fmt>)$|/report/<|/documents/<|\.<")
# endpoint -> whether another organisation may download (False: refused)
DOWNLOADS = {
    "tenders.document": False,
    "evaluation.report_download": False,
    "evaluation.chart": False,
    "evaluation.declaration_template": False,
    "sourcing.shortlist_csv": True,
    "sourcing.shortlist_docx": True,
    "admin.audit_export": True,  # the instance's audit log, for its administrators (any org)
    "static": True,
}


def test_every_file_route_is_in_the_table(app):
    found = {r.endpoint for r in app.url_map.iter_rules() if FILE_ROUTE.search(r.rule)}
    assert found <= set(DOWNLOADS), found - set(DOWNLOADS)


def rao_bytes(store, tender_id: int, filename: str) -> bytes:
    return store.locate("tenders", tender_id, filename).read_bytes()


def test_another_organisation_downloads_nothing_of_a_tender(
    app,
    session,
    make_user,
    locked_then_unlocked,  # noqa: F811
):
    ctx = locked_then_unlocked
    t = ctx["tender"]
    store = app.extensions["procure.documents"]
    rao, _ = ev.export_report(
        session=session, actor=Actor.of(ctx["buyer"]), tender_id=t.id, fmt="docx", store=store
    )
    # A stored DCE piece (its content does not matter to access: the route serves any piece).
    path = store.new_path("tenders", t.id, stem=f"{t.reference}-CCAP", fmt="docx")
    path.write_bytes(rao_bytes(store, t.id, rao.filename))
    piece = TenderDocument(
        tender_id=t.id,
        piece="CCAP",
        format="docx",
        filename=path.name,
        sha256="0" * 64,
        manifest=[],
    )
    session.add(piece)
    session.commit()
    urls = {
        "evaluation.report_download": f"/evaluation/{t.id}/report/{rao.id}",
        "evaluation.chart": f"/evaluation/{t.id}/chart/footprint.png",
        "evaluation.chart:scores": f"/evaluation/{t.id}/chart/scores.png",
        "evaluation.declaration_template": f"/evaluation/{t.id}/declaration-template.json",
        "evaluation.declaration_template:csv": f"/evaluation/{t.id}/declaration-template.csv",
    }
    urls["tenders.document"] = f"/tenders/{t.id}/documents/{piece.id}"
    stranger = make_user(
        "buyer", "evaluator", "legal", "sourcing", "admin", organisation="Autre collectivité"
    )
    c = client_for(app, stranger)
    owner = client_for(app, ctx["buyer"])
    for name, url in urls.items():
        assert owner.get(url).status_code == 200, (name, url)  # the route works...
        r = c.get(url)
        assert r.status_code in (403, 404), (name, url, r.status_code)  # ...not for them
        assert not r.data.startswith((b"PK", b"\x89PNG", b"{", b"champ"))
    assert "tenders.document" in urls
