"""The buyer's pages and documents of the demo tender write numbers the French way."""

from __future__ import annotations

import pytest
from sqlmodel import select

from procure.documents import read_text
from procure.tenders.models import Tender
from tests.conftest import soup
from tests.factories import load_library
from tests.french_numbers import dot_decimals, page_text, ungrouped_numbers


def test_dot_decimals_are_found_and_references_are_not():
    assert len(dot_decimals("Entre 0.0 et 5000.0.")) == 2
    assert dot_decimals("valeur 250.5 €")
    assert not dot_decimals("art. 1.2 du CCAG, article 30.2 du RGPD, OAuth 2.0, le 31/01/2026")
    assert not dot_decimals("code 72000000-5, fichier PRC-2026-0001-RC.docx, 1\u202f234,5")
    assert ungrouped_numbers("un volume de 300000 requêtes") == ["un volume de 300000 requêtes"]
    assert not ungrouped_numbers("300\u202f000 requêtes, ISO/IEC 27001, CPV 72000000-5, 2026")


@pytest.fixture
def demo_tender(engine, session):
    from procure.accounts.demo import ensure_users
    from procure.tenders import demo as tenders_demo

    load_library(session)
    session.commit()
    users = ensure_users(engine)
    tenders_demo.load(engine=engine, users=users, echo=lambda *_a: None)
    return session.exec(select(Tender)).one(), users


def test_demo_pages_and_exports_have_no_dot_decimal(client, demo_tender, app, tmp_path):
    tender, _users = demo_tender
    from procure.accounts.demo import DEMO_USERS

    email, password = next((e, p) for k, e, p, _r, _n in DEMO_USERS if k == "buyer")
    assert client.post("/login", data={"email": email, "password": password}).status_code == 303
    client.csrf_token = None
    base = f"/tenders/{tender.id}"
    show = soup(client.get(base))
    urls = ["/tenders/", base, f"{base}/edit", f"{base}/check", "/tenders/rules", "/tenders/new"]
    urls += sorted(
        {a["href"].split("#")[0] for a in show.select("#clause-list a[href*='/clauses/']")}
    )
    assert len(urls) > 20  # the demo pins dozens of clauses, with numeric variables
    found = {}
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
        text = page_text(soup(r))
        bad = dot_decimals(text) + ungrouped_numbers(text)
        if bad:
            found[url] = bad
    assert found == {}

    # The hints of numeric variables are French ("Entre 0 et 5 000.")
    hints = " ".join(
        s.get_text() for url in urls[6:] for s in soup(client.get(url)).select("[id^=hint-]")
    )
    assert "Entre " in hints and "\u202f" in hints

    # Every piece, in both formats: no English decimal in the documents either.
    for piece in ("RC", "CCAP", "CCTP"):
        for fmt in ("docx", "odt"):
            r = client.post(f"{base}/export", data={"piece": piece, "format": fmt})
            assert r.status_code == 303, r.get_data(as_text=True)[:300]
    page = soup(client.get(base))
    links = [a["href"] for a in page.select("#documents a")]
    assert len(links) == 6
    for i, href in enumerate(links):
        r = client.get(href)
        path = (
            tmp_path / f"piece-{i}.{'odt' if 'odt' in r.headers['Content-Disposition'] else 'docx'}"
        )
        path.write_bytes(r.data)
        text = read_text(path)
        assert dot_decimals(text) + ungrouped_numbers(text) == [], href
