"""Clause files: the library validates; bad files are refused with file, line and field."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from procure.clause_library.services import (
    COVERS,
    FAMILIES,
    ClauseFormatError,
    parse_clause_text,
    render_blocks,
    validate_values,
    word_diff,
)
from tests.factories import ROOT

CLAUSE_FILES = sorted((ROOT / "clauses").rglob("*.md"))

GOOD = """---
key: reversibilite.essai
family: reversibilite
title: Clause d'essai
piece: CCAP
summary: Une clause pour les tests.
covers: [reversibilite]
conditions:
  ai_high_risk: true
variables:
  - name: delai_mois
    type: integer
    label: Délai (en mois)
    default: 3
    min: 1
    max: 12
    required: true
  - name: montant
    type: decimal
    label: Montant (euros HT)
    default: 1234.5
  - name: formats
    type: list
    label: Formats
    default: [CSV, JSON, Parquet]
  - name: debut
    type: date
    label: Date de début
  - name: sequestre_ok
    type: boolean
    label: Séquestre
    default: false
variants:
  - key: standard
    label: Sans séquestre
  - key: sequestre
    label: Avec séquestre
references:
  - source: CCAG-TIC
    article: "art. 42"
---
Le titulaire remet le plan sous {{ delai_mois }} mois, pour {{ montant }} euros HT.

- formats : {{ formats }} ;
- début : {{ debut }}.

::: variante sequestre
Le code est déposé en séquestre ({{ sequestre_ok }}).
:::
"""


def parse(text: str = GOOD, filename: str = "clauses/reversibilite/essai.md"):
    return parse_clause_text(text, filename=filename)


@pytest.mark.parametrize("path", CLAUSE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_library_file_validates_and_round_trips(path):
    spec = parse_clause_text(path.read_text(encoding="utf-8"), filename=str(path.relative_to(ROOT)))
    again = parse_clause_text(spec.to_front_matter_text(), filename=str(path.relative_to(ROOT)))
    assert again == spec and again.content_hash() == spec.content_hash()
    clean, errors = validate_values(spec.variables, {})
    assert errors == {}, f"{path}: les valeurs par défaut doivent suffire ({errors})"
    text = " ".join(
        t for _k, t in render_blocks(spec.body, spec.variables, None, clean, variants=spec.variants)
    )
    assert "{{" not in text and "[à compléter" not in text


def test_library_covers_every_family_and_the_required_subjects():
    specs = [
        parse_clause_text(p.read_text(encoding="utf-8"), filename=str(p.relative_to(ROOT)))
        for p in CLAUSE_FILES
    ]
    per_family = Counter(s.family for s in specs)
    for family in FAMILIES:
        assert per_family[family] >= 6, (
            f"famille {family} : {per_family[family]} clauses, 6 au moins"
        )
    covered = {subject for s in specs for subject in s.covers}
    assert covered == set(COVERS), f"sujets sans clause : {sorted(set(COVERS) - covered)}"
    assert len({s.key for s in specs}) == len(specs)
    assert sum(1 for s in specs if s.variants) >= 10
    assert {s.piece for s in specs} >= {"CCAP", "CCTP", "RC"}


def test_good_file_parses_into_canonical_spec():
    spec = parse()
    assert spec.key == "reversibilite.essai" and spec.name == "essai"
    assert spec.conditions == {"ai_high_risk": True}
    assert spec.variables[0] == {
        "name": "delai_mois",
        "type": "integer",
        "label": "Délai (en mois)",
        "default": 3,
        "min": 1,
        "max": 12,
        "required": True,
    }
    assert spec.references == [{"source": "CCAG-TIC", "article": "art. 42", "note": ""}]
    assert parse(spec.to_front_matter_text()) == spec
    changed = parse(GOOD.replace("Délai (en mois)", "Délai (mois)"))
    assert changed.content_hash() != spec.content_hash()


@pytest.mark.parametrize(
    "mutate,line,field,words",
    [
        (lambda t: t.replace("title: Clause d'essai", "title: [Clause"), 5, None, "YAML invalide"),
        (
            lambda t: t.replace("family: reversibilite", "family: divers"),
            3,
            "family",
            "famille inconnue",
        ),
        (lambda t: t.replace("piece: CCAP", "piece: CCAP\ntitle: Encore"), 6, "title", "deux fois"),
        (
            lambda t: t.replace("pour {{ montant }}", "pour {{ prix }}"),
            42,
            "corps",
            "variable non déclarée « prix »",
        ),
        (
            lambda t: t.replace("default: 3\n", "default: 30\n"),
            14,
            "variables.0.default",
            "dépasse le maximum (12)",
        ),
        (
            lambda t: t.replace("pour {{ montant }}", "pour {{ montant.__class__ }}"),
            42,
            "corps",
            "code de gabarit interdit",
        ),
        (
            lambda t: t.replace("pour {{ montant }}", "pour {{ montant|upper }}"),
            42,
            "corps",
            "code de gabarit interdit",
        ),
        (
            lambda t: t.replace("- formats", "{% for x in y %}- formats"),
            44,
            "corps",
            "code de gabarit interdit",
        ),
        (
            lambda t: t.replace("- formats", "{{ lipsum() }}"),
            44,
            "corps",
            "code de gabarit interdit",
        ),
        (
            lambda t: t.replace("key: reversibilite.essai", "key: reversibilite.autre"),
            2,
            "key",
            "reversibilite.essai",
        ),
        (
            lambda t: t.replace("covers: [reversibilite]", "covers: [divers]"),
            7,
            "covers",
            "sujet inconnu",
        ),
        (
            lambda t: t.replace("ai_high_risk: true", "ai_very_risky: true"),
            9,
            "conditions.ai_very_risky",
            "condition inconnue",
        ),
        (
            lambda t: t.replace("type: decimal", "type: float"),
            19,
            "variables.1.type",
            "type inconnu",
        ),
        (
            lambda t: t.replace("::: variante sequestre", "::: variante autre"),
            47,
            "corps",
            "non déclarée",
        ),
        (lambda t: t.replace(":::\n", ""), 47, "corps", "pas fermé"),
        (lambda t: t.replace("summary:", "resume:"), 6, "resume", "champ inconnu"),
        (lambda t: "sans en-tête\n" + t, 1, None, "commencer par"),
    ],
)
def test_bad_file_is_refused_with_line_and_field(mutate, line, field, words):
    with pytest.raises(ClauseFormatError) as caught:
        parse(mutate(GOOD))
    error = caught.value
    assert words in error.message
    assert error.file == "clauses/reversibilite/essai.md"
    assert error.line == line, str(error)
    assert error.field == field
    assert str(error).startswith(f"clauses/reversibilite/essai.md:{line}: ")


def test_validate_values_accepts_form_strings_and_reports_each_field():
    spec = parse()
    clean, errors = validate_values(
        spec.variables,
        {
            "delai_mois": "12",
            "montant": "1 234,5",
            "formats": "ODS, CSV",
            "debut": "31/01/2026",
            "sequestre_ok": "oui",
        },
    )
    assert errors == {}
    assert clean == {
        "delai_mois": 12,
        "montant": 1234.5,
        "formats": ["ODS", "CSV"],
        "debut": date(2026, 1, 31),
        "sequestre_ok": True,
    }
    clean, errors = validate_values(
        spec.variables,
        {
            "delai_mois": "",
            "montant": "beaucoup",
            "debut": "2026-02-30",
            "sequestre_ok": "peut-être",
        },
    )
    assert set(errors) == {"delai_mois", "montant", "debut", "sequestre_ok"}
    assert "obligatoire" in errors["delai_mois"] and "Délai (en mois)" in errors["delai_mois"]
    assert "n'est pas un nombre" in errors["montant"]
    clean, errors = validate_values(spec.variables, {"delai_mois": 0})
    assert "inférieur au minimum (1)" in errors["delai_mois"]
    clean, errors = validate_values(spec.variables, {})
    assert errors == {} and clean["delai_mois"] == 3 and clean["debut"] is None


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"])
def test_typed_numbers_accept_any_space_and_render_with_a_narrow_no_break_space(space):
    """One French number rule: any space is read as a group separator; the rendered clause
    writes thousands with a narrow no-break space (procure.core.formatting, Babel fr_FR), so
    that a document never breaks a number across two lines."""
    spec = parse()
    clean, errors = validate_values(
        spec.variables, {"montant": f"1{space}234,5", "delai_mois": f"1{space}0"}
    )
    assert errors == {} and clean["delai_mois"] == 10
    assert clean["montant"] == 1234.5
    text = render_blocks(spec.body, spec.variables, None, clean, variants=spec.variants)[0][1]
    assert "pour 1\u202f234,5 euros HT" in text
    big, _ = validate_values([{"name": "n", "type": "integer", "label": "N"}], {"n": "-1 500 000"})
    blocks = render_blocks("{{ n }}", [{"name": "n", "type": "integer", "label": "N"}], None, big)
    assert blocks == [("p", "-1\u202f500\u202f000")]


def test_render_blocks_formats_values_filters_variants_and_never_executes():
    spec = parse()
    clean, _ = validate_values(spec.variables, {"debut": "2026-01-31"})
    blocks = render_blocks(spec.body, spec.variables, None, clean, variants=spec.variants)
    assert blocks == [
        ("p", "Le titulaire remet le plan sous 3 mois, pour 1\u202f234,5 euros HT."),
        ("li", "formats : CSV, JSON et Parquet ;"),
        ("li", "début : 31/01/2026."),
    ]
    blocks = render_blocks(spec.body, spec.variables, "sequestre", {"formats": ["<b>x</b>"]})
    assert (
        blocks[0][1] == "Le titulaire remet le plan sous [à compléter : Délai (en mois)] mois, "
        "pour [à compléter : Montant (euros HT)] euros HT."
    )
    assert blocks[1] == (
        "li",
        "formats : <b>x</b> ;",
    )  # not escaped here: escaping is the writer's job
    assert blocks[-1] == ("p", "Le code est déposé en séquestre ([à compléter : Séquestre]).")
    # A value that looks like template code stays inert text.
    blocks = render_blocks(spec.body, spec.variables, None, {"formats": ["{{ delai_mois }}"]})
    assert blocks[1] == ("li", "formats : {{ delai_mois }} ;")


def test_word_diff_marks_insertions_and_deletions():
    diff = word_diff("Le titulaire remet le plan.", "Le titulaire remet un plan détaillé.")
    assert diff == [
        ("equal", "Le titulaire remet "),
        ("delete", "le"),
        ("insert", "un"),
        ("equal", " "),
        ("delete", "plan."),
        ("insert", "plan détaillé."),
    ]
    assert "".join(t for op, t in diff if op != "delete") == "Le titulaire remet un plan détaillé."
    assert word_diff("", "") == []
