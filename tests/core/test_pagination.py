"""Lists are paginated: a page never shows more than PER_PAGE rows, whatever the records."""

from __future__ import annotations

from procure.core.pagination import PER_PAGE
from sourcing.models import Shortlist
from tests.conftest import soup
from tests.factories import client_for, make_tender


def test_shortlists_are_paginated(app, session, make_user):
    session.add_all([Shortlist(title=f"Liste {i}", need="besoin") for i in range(PER_PAGE + 5)])
    session.commit()
    c = client_for(app, make_user("sourcing"))
    first = soup(c.get("/sourcing/preselections"))
    assert len(first.select("main li a[href*='/preselections/']")) == PER_PAGE
    assert first.select_one(".pager a[rel=next]")
    second = soup(c.get("/sourcing/preselections?page=2"))
    assert len(second.select("main li a[href*='/preselections/']")) == 5
    assert c.get("/sourcing/preselections?page=-3").status_code == 200  # a bad page is page 1


def test_evaluation_list_is_paginated(app, session, make_user):
    buyer = make_user("buyer")
    for i in range(PER_PAGE + 2):
        make_tender(session, buyer, reference=f"AO-2026-{i:03d}")
    c = client_for(app, buyer)
    assert len(soup(c.get("/evaluation/")).select("#evaluation-tenders tbody tr")) == PER_PAGE
    assert len(soup(c.get("/evaluation/?page=2")).select("#evaluation-tenders tbody tr")) == 2


def test_merges_page_counts_everything_and_shows_a_page(session):
    from procure.suppliers import services as svc

    page = svc.merges_page(session=session, page=1)
    assert page.items == [] and page.total == 0 and page.pages == 1
