"""Identifiers, names, amounts, dates and places as found in French public data."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path

from sourcing.cpv import fold

DATA_DIR = Path(__file__).parent / "data"
LA_POSTE_SIREN = "356000000"

LEGAL_FORMS = (
    "sa",
    "sas",
    "sasu",
    "sarl",
    "eurl",
    "snc",
    "scop",
    "sem",
    "sci",
    "gie",
    "selarl",
    "selas",
    "sca",
    "scs",
    "scic",
    "sarlu",
    "spa",
    "gmbh",
    "ltd",
    "inc",
    "bv",
    "nv",
    "ag",
    "srl",
    "scp",
    "societe anonyme",
    "societe par actions simplifiee",
    "societe a responsabilite limitee",
    "entreprise unipersonnelle a responsabilite limitee",
    "societe cooperative",
    "societe d economie mixte",
    "ets",
    "etablissements",
    "etablissement",
    "ste",
    "societe",
)
ARTICLES = frozenset({"le", "la", "les", "l", "de", "du", "des", "d", "et", "a", "au", "aux"})
_MULTI_FORMS = sorted((f for f in LEGAL_FORMS if " " in f), key=len, reverse=True)
_SINGLE_FORMS = frozenset(f for f in LEGAL_FORMS if " " not in f)


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


@lru_cache(maxsize=1 << 16)  # an import checks the same identifiers over and over
def valid_siren(value: str) -> bool:
    return bool(re.fullmatch(r"\d{9}", value or "")) and luhn_ok(value)


@lru_cache(maxsize=1 << 16)
def valid_siret(value: str) -> bool:
    """SIRET check: Luhn on 14 digits; La Poste's establishments use a digit sum divisible by 5."""
    if not re.fullmatch(r"\d{14}", value or ""):
        return False
    if value.startswith(LA_POSTE_SIREN):
        return luhn_ok(value) or sum(int(c) for c in value) % 5 == 0
    return luhn_ok(value) and luhn_ok(value[:9])


def clean_identifier(value: object) -> str:
    return re.sub(r"[\s.\-]", "", str(value or "")).strip()


@lru_cache(maxsize=1 << 16)
def normalise_name(name: str) -> str:
    """Name for matching: folded, `&` -> et, without legal forms, articles and punctuation."""
    # dotted acronyms first: "S.A.S." -> "SAS"
    name = re.sub(r"\b((?:\w\.){2,}\w?)", lambda m: m.group(1).replace(".", ""), name or "")
    text = fold(name.replace("&", " et "))
    for form in _MULTI_FORMS:
        text = re.sub(rf"\b{form}\b", " ", text)
    words = [w for w in text.split() if w not in _SINGLE_FORMS and w not in ARTICLES]
    return " ".join(words) or text.strip()


def display_name(sirene_name: str, spellings: Counter | dict) -> str:
    """The SIRENE name when known, else the most frequent spelling (ties: the longest, then A-Z)."""
    if sirene_name:
        return sirene_name
    if not spellings:
        return ""
    return sorted(spellings.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))[0][0]


def parse_amount(value: object) -> tuple[float | None, str | None]:
    """(amount, error). Placeholders 0 and 1 and empty values are unknown (None), not errors."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, "montant illisible"
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = (
            str(value).replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
        )
        if text.count(",") == 1 and text.count(".") <= 1 and text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            return None, f"montant illisible : {value!r}"
    if not math.isfinite(number):  # found by fuzzing: "NaN", "1e400", JSON NaN/Infinity
        return None, f"montant illisible : {value!r}"
    if number < 0:
        return None, f"montant négatif : {value!r}"
    if number in (0.0, 1.0):
        return None, None  # placeholder for "unknown" in DECP
    return number, None


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def parse_date(value: object) -> tuple[date | None, str | None]:
    """(date, error): ISO dates (with or without time or zone), or French dd/mm/yyyy."""
    if value is None or value == "":
        return None, None
    text = str(value).strip()
    parsed = None
    if _ISO_DAY.match(text):  # fast path for the usual YYYY-MM-DD (strptime is slow)
        try:
            parsed = date(int(text[:4]), int(text[5:7]), int(text[8:10]))
        except ValueError:
            parsed = None
    if parsed is None:
        for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
            try:
                parsed = datetime.strptime(text[:10], fmt).date()
                break
            except ValueError:
                continue
        else:
            return None, f"date illisible : {value!r}"
    if not (1990 <= parsed.year <= date.today().year + 1):
        return None, f"date invraisemblable : {value!r}"
    return parsed, None


@lru_cache(maxsize=1)
def departments() -> dict[str, str]:
    return json.loads((DATA_DIR / "departements.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def naf_labels() -> dict[str, str]:
    return json.loads((DATA_DIR / "naf_fr.json").read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def headcount_bands() -> dict[str, str]:
    return json.loads((DATA_DIR / "tranches_effectifs.json").read_text(encoding="utf-8"))


def department_of(postal_or_code: str) -> str:
    """Department code from a postal code or a department code ('75', '2A', '971')."""
    text = (postal_or_code or "").strip().upper()
    m = re.match(r"^(\d{5})", text)
    if m:
        code = m.group(1)
        if code.startswith("97"):
            return code[:3]
        if code.startswith("20"):
            return "2A" if int(code) < 20200 else "2B"
        return code[:2]
    if text in departments():
        return text
    if re.fullmatch(r"\d", text):
        return "0" + text
    return ""


def normalise_naf(code: str) -> str:
    """'6201Z' or '62.01Z' -> '62.01Z' when known, else ''."""
    text = re.sub(r"[\s.]", "", (code or "").upper())
    if len(text) == 5:
        text = f"{text[:2]}.{text[2:]}"
    return text if text in naf_labels() else ""


def size_from(category: str, headcount_band: str) -> str:
    """PME, ETI or GE from SIRENE's categorieEntreprise, else from the headcount band."""
    category = (category or "").strip().upper()
    if category in ("PME", "ETI", "GE"):
        return category
    band = (headcount_band or "").strip()
    if band in ("NN", "00", "01", "02", "03", "11", "12", "21", "22", "31"):
        return "PME"
    if band in ("32", "41", "42"):
        return "ETI"
    if band in ("51", "52", "53"):
        return "GE"
    return ""


_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z][^<>]{0,200}>")


def strip_markup(text: str) -> str:
    """DECP text without HTML markup (`<br />`, `<p>`), entities decoded, spaces collapsed."""
    import html

    if "<" not in (text or "") and "&" not in (text or ""):
        return " ".join((text or "").split())
    text = _MARKUP.sub(" ", text or "")
    return " ".join(html.unescape(text).split())


def is_public_body(siren: str, legal_category: str = "") -> bool:
    """A public-law body (State, local authority, public establishment), not a company.

    The SIRENE legal category says so when known (categories 7xxx: personnes morales de droit
    public); otherwise the SIREN's first digit does (INSEE gives public bodies SIRENs that begin
    with 1 or 2)."""
    category = (legal_category or "").strip()
    if category[:1].isdigit():
        return category.startswith("7")
    return (siren or "")[:1] in ("1", "2")
