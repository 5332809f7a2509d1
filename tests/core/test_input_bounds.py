"""Denial of service by small inputs: every parser has a bound and a French error past it.

Each test below used to take seconds to minutes (or gigabytes) with the input it builds; the
figures before and after are in docs/security.md (benchmarks/test_bench_security.py).
"""

from __future__ import annotations

import random
import zipfile

import pytest

from procure.clause_library.services import parse_clause_text, word_diff
from procure.clause_library.services.clause_spec import ClauseFormatError
from procure.core.errors import DomainError, ValidationError
from procure.documents import reader
from procure.evaluation import footprint as fp
from tests.clause_library.test_clauselib import GOOD


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" in YAML: each level refers to the previous one eight times."""
    lines = ["a0: &a0 [x]"]
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 8)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines)


# --- declarations -----------------------------------------------------------------------------


def test_a_long_first_line_is_refused_without_the_sniffer():
    line = "champ," + "x," * 24_000  # 48 KB on one line: csv.Sniffer took 18 s of CPU
    with pytest.raises(ValidationError, match="ligne 1 : ligne trop longue"):
        fp.parse_declaration(line, "offre.csv")


def test_declaration_size_and_rows_are_bounded():
    with pytest.raises(ValidationError, match="trop volumineux"):
        fp.parse_declaration("a,b\n" * 20_000, "offre.csv")
    with pytest.raises(ValidationError, match="trop de lignes"):
        fp.parse_declaration("\n".join(f"f{i},1" for i in range(300)), "offre.csv")


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_declaration_delimiter_is_still_found(delimiter):
    text = (
        delimiter.join(["champ", "valeur"])
        + "\n"
        + delimiter.join(["pue", "1,2" if delimiter != "," else "1.2"])
    )
    assert fp.parse_declaration(text, "offre.csv")["pue"] == pytest.approx(1.2)


# --- YAML -------------------------------------------------------------------------------------


def test_yaml_aliases_are_refused_in_a_clause_file():
    text = GOOD.replace("---\nkey:", "---\n" + alias_bomb() + "\nkey:", 1)
    with pytest.raises(ClauseFormatError, match="alias") as info:
        parse_clause_text(text, filename="bombe.md")
    assert info.value.line == 2 + 0  # the first anchor, on the header's first line


def test_yaml_aliases_are_refused_in_a_form_field():
    from procure.clause_library.services.forms import _yaml_field

    errors: dict[str, str] = {}
    assert _yaml_field({"variables": alias_bomb()}, "variables", errors) is None
    assert "alias" in errors["variables"]


# --- CPV search ---------------------------------------------------------------------------------


def test_cpv_search_counts_a_bounded_number_of_words():
    from sourcing.cpv import MAX_QUERY_WORDS, search_cpv

    rng = random.Random(7)
    words = [
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(60_000)
    ]
    head = ["logiciel", "gestion"] + words
    long_query = " ".join(head)  # ~500 KB: it took ~45 s
    assert search_cpv(long_query) == search_cpv(" ".join(head[:MAX_QUERY_WORDS]))


def test_tender_form_refuses_a_long_cpv_query_in_french():
    from procure.tenders.services.cpv import search_cpv

    with pytest.raises(ValidationError, match="Recherche CPV trop longue"):
        search_cpv("logiciel " * 100)
    assert search_cpv("logiciel de gestion")


# --- word diff ----------------------------------------------------------------------------------


def _rebuild(diff, side):
    keep = {"old": ("equal", "delete"), "new": ("equal", "insert")}[side]
    return "".join(text for op, text in diff if op in keep)


@pytest.mark.parametrize("seed", range(5))
def test_word_diff_rebuilds_both_texts(seed):
    rng = random.Random(seed)
    vocab = ["le", "titulaire", "remet", "plan", "données", "délai", "mois", "\n", "  "]
    old = " ".join(rng.choice(vocab) for _ in range(300))
    words = old.split(" ")
    for _ in range(30):
        i = rng.randrange(len(words))
        words[i : i + rng.randrange(3)] = [rng.choice(vocab) for _ in range(rng.randrange(3))]
    new = " ".join(words)
    diff = word_diff(old, new)
    assert _rebuild(diff, "old") == old and _rebuild(diff, "new") == new
    assert all(a[0] != b[0] for a, b in zip(diff, diff[1:], strict=False))  # runs are merged


def test_word_diff_of_two_large_unrelated_texts_is_valid():
    rng = random.Random(1)
    old = " ".join(f"a{rng.randrange(10**6)}" for _ in range(20_000))
    new = " ".join(f"b{rng.randrange(10**6)}" for _ in range(20_000))  # difflib: minutes
    diff = word_diff(old, new)
    assert _rebuild(diff, "old") == old and _rebuild(diff, "new") == new


# --- documents read back (procure verify) -------------------------------------------------------

ODT_MANIFEST = (
    '<?xml version="1.0"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
    "{body}</office:text></office:body></office:document-content>"
)


def _odt(path, body: str, extra: bytes = b""):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("content.xml", ODT_MANIFEST.format(body=body) + extra.decode())
    return path


def test_text_s_count_is_bounded(tmp_path):
    path = _odt(tmp_path / "bombe.odt", '<text:p>a<text:s text:c="4000000000"/>b</text:p>')
    assert path.stat().st_size < 1000  # a few hundred bytes asked for 4 GB
    (paragraph,) = reader.read_paragraphs(path)
    assert paragraph == "a" + " " * reader.MAX_SPACES + "b"
    bad = _odt(tmp_path / "bad.odt", '<text:p>a<text:s text:c="beaucoup"/>b</text:p>')
    assert reader.read_paragraphs(bad) == ["a b"]


def test_zip_members_are_read_with_a_size_cap(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_PART_BYTES", 1024 * 1024)
    path = _odt(tmp_path / "gros.odt", "<text:p>x</text:p>", b"<!--" + b" " * 2_000_000 + b"-->")
    assert path.stat().st_size < 50_000  # it inflates 40 times
    with pytest.raises(DomainError, match="dépasse"):
        reader.read_paragraphs(path)


def test_xml_entities_are_not_expanded(tmp_path):
    path = tmp_path / "entites.odt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "content.xml",
            '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/hostname">]>'
            + ODT_MANIFEST.format(body="<text:p>&e;</text:p>").split("?>", 1)[1],
        )
    assert all("\n" not in p and len(p) < 5 for p in reader.read_paragraphs(path))
