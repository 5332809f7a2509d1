"""The reviewer's automatable checks (`procure clauses lint` and sync): one bad clause per class
of error, each caught with its line and field; the real library passes them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from procure.clause_library.services import (
    ClauseFormatError,
    lint_directory,
    lint_texts,
    parse_clause_text,
)
from procure.clause_library.services.ccag import articles, check_ref
from tests.factories import ROOT

HEADER = """---
key: execution.essai
family: execution
title: Clause d'essai
piece: CCAP
covers: [accessibilite]
"""


def clause(extra_header: str, body: str) -> str:
    return HEADER + extra_header + "---\n" + body + "\n"


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.split("\n"), 1) if needle in line)


def findings(text: str) -> list[ClauseFormatError]:
    return lint_texts([("execution/essai.md", text)]).findings


GOOD_BODY = (
    "Le titulaire remet un rapport dans un délai de dix jours. Tout retard donne lieu à "
    "mise en demeure."
)


def test_a_clean_clause_has_no_finding():
    assert findings(clause("", GOOD_BODY)) == []


# --- one bad clause per class ---------------------------------------------------------------


def test_unknown_ccag_article_is_refused_with_line_and_field():
    text = clause(
        'references:\n  - source: CCAG-TIC\n    article: "art. 98"\n    note: Inexistant.\n',
        GOOD_BODY,
    )
    with pytest.raises(ClauseFormatError) as exc:
        parse_clause_text(text, filename="execution/essai.md")
    assert exc.value.line == line_of(text, "art. 98")
    assert exc.value.field == "references.0.article"
    assert "n'existe pas" in exc.value.message


def test_a_2009_reference_is_refused():
    text = clause(
        "references:\n  - source: CCAG-TIC\n"
        '    article: "chapitre 5 (utilisation des résultats), options A et B"\n',
        GOOD_BODY,
    )
    (finding,) = findings(text)
    assert finding.line == line_of(text, "chapitre 5")
    assert finding.field == "references.0.article"
    assert "2009" in finding.message


def test_a_departure_from_an_unknown_article_is_refused():
    text = clause(
        'departures:\n  - article: "art. 77"\n    text: Motif.\n',
        GOOD_BODY,
    )
    (finding,) = findings(text)
    assert (finding.line, finding.field) == (line_of(text, "art. 77"), "departures.0.article")


def test_a_departure_whose_effect_names_the_wrong_article_is_refused():
    text = clause(
        'departures:\n  - article: "art. 42"\n    effect: penalites\n    text: Motif.\n',
        GOOD_BODY,
    )
    (finding,) = findings(text)
    assert (finding.line, finding.field) == (line_of(text, "art. 42"), "departures.0.article")
    assert "l'article 14" in finding.message


PENALTY_VARIABLE = (
    "variables:\n  - name: montant\n    type: penalty\n    label: Pénalité (euros HT)\n"
    "    default: 100\n    required: true\n"
)


def test_an_undeclared_penalty_is_caught_on_its_line():
    body = GOOD_BODY + "\n\nLe retard est sanctionné à hauteur de {{ montant }} par jour."
    text = clause(PENALTY_VARIABLE, body)
    kinds = [(f.kind, f.line, f.field) for f in findings(text)]
    assert kinds == [("derogation-non-declaree", line_of(text, "{{ montant }}"), "departures")]
    declared = clause(
        PENALTY_VARIABLE
        + 'departures:\n  - article: "art. 14"\n    effect: penalites\n    text: Montant forfaitaire.\n',
        body,
    )
    assert findings(declared) == []


def test_an_undeclared_penalty_in_the_text_is_caught_without_a_typed_variable():
    body = GOOD_BODY + "\n\nChaque manquement entraîne une pénalité de 500 euros HT."
    text = clause("", body)
    (finding,) = findings(text)
    assert (finding.kind, finding.line) == ("derogation-non-declaree", line_of(text, "500 euros"))


def test_an_indemnity_waiver_needs_a_chapter_8_departure():
    body = GOOD_BODY + "\n\nL'acheteur peut alors résilier le marché sans indemnité."
    text = clause("", body)
    (finding,) = findings(text)
    assert finding.kind == "derogation-non-declaree"
    assert finding.line == line_of(text, "sans indemnité")
    assert "47 à 54" in finding.message


def test_an_indemnity_waiver_is_caught_in_its_other_wordings():
    for waiver in (
        "sans que le titulaire puisse prétendre à une indemnité",
        "sans indemnisation",
        "sans droit à indemnisation",
    ):
        body = GOOD_BODY + f"\n\nL'acheteur peut cesser d'utiliser le système {waiver}."
        text = clause("", body)
        (finding,) = findings(text)
        assert finding.kind == "derogation-non-declaree", waiver
        assert finding.line == line_of(text, waiver)


def test_an_assignment_of_results_needs_a_chapter_7_departure_in_its_variant_only():
    variants = "variants:\n  - key: cession\n    label: Cession\n  - key: concession\n    label: Concession\n"
    body = (
        GOOD_BODY + "\n\n::: variante cession\nLe titulaire cède à l'acheteur, à titre exclusif, "
        "le droit de reproduction des résultats.\n:::\n\n::: variante concession\n"
        "Le titulaire concède un droit d'usage.\n:::"
    )
    text = clause(variants, body)
    (finding,) = findings(text)
    assert (finding.kind, finding.line) == ("derogation-non-declaree", line_of(text, "cède"))
    assert "« cession »" in finding.message
    declared = clause(
        variants + 'departures:\n  - article: "art. 43 à 46"\n    effect: droits-resultats\n'
        "    variants: [cession]\n    text: Cession exclusive.\n",
        body,
    )
    assert findings(declared) == []


def test_a_dangling_cross_reference_needs_a_dependency():
    text = clause(
        "",
        GOOD_BODY + "\n\nAu-delà, chaque demande est payée au prix unitaire du bordereau.",
    )
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "dependance",
        line_of(text, "bordereau"),
        "depends",
    )


def test_a_dependency_no_clause_of_the_library_covers_is_caught():
    text = clause("depends:\n  - subject: bordereau-prix\n", GOOD_BODY)
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "dependance",
        line_of(text, "subject: bordereau-prix"),
        "depends.0.subject",
    )
    other = HEADER.replace("execution.essai", "execution.prix").replace(
        "[accessibilite]", "[bordereau-prix]"
    )
    report = lint_texts(
        [("execution/essai.md", text), ("execution/prix.md", other + "---\n" + GOOD_BODY + "\n")]
    )
    assert report.findings == []


def test_a_required_variable_missing_from_a_variant_is_caught():
    header = (
        "variables:\n  - name: delai_jours\n    type: integer\n    label: Délai\n"
        "    default: 3\n    required: true\n"
        "variants:\n  - key: a\n    label: A\n  - key: b\n    label: B\n"
    )
    body = GOOD_BODY + "\n\n::: variante a\nLe délai est de {{ delai_jours }} jours.\n:::"
    text = clause(header, body)
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "variable",
        line_of(text, "name: delai_jours"),
        "variables.0",
    )
    assert "« b »" in finding.message


def test_a_variable_printed_in_the_variant_that_excludes_it_is_caught():
    header = (
        "variables:\n  - name: tiers_sequestre\n    type: text\n    label: Séquestre\n"
        "variants:\n  - key: sans-sequestre\n    label: Sans\n  - key: avec-sequestre\n"
        "    label: Avec\n"
    )
    body = (
        GOOD_BODY + "\n\n::: variante sans-sequestre\nLe séquestre ({{ tiers_sequestre }}) "
        "n'intervient pas.\n:::\n\n::: variante avec-sequestre\nDépôt chez {{ tiers_sequestre }}.\n:::"
    )
    text = clause(header, body)
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "variable",
        line_of(text, "n'intervient pas"),
        "corps",
    )


def test_an_obligation_without_a_deadline_is_caught():
    text = clause("", GOOD_BODY + "\n\nLe titulaire transmet la liste de ses sous-traitants.")
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "delai",
        line_of(text, "sous-traitants"),
        "corps",
    )


def test_an_obligation_without_a_consequence_is_caught():
    text = clause("", "Le titulaire remet un rapport dans un délai de dix jours.")
    (finding,) = findings(text)
    assert (finding.kind, finding.line, finding.field) == (
        "consequence",
        line_of(text, "remet un rapport"),
        "corps",
    )
    relying = clause(
        "depends:\n  - subject: sanctions-manquements\n",
        "Le titulaire remet un rapport dans un délai de dix jours.",
    )
    report = lint_texts(
        [
            ("execution/essai.md", relying),
            (
                "execution/manquements.md",
                HEADER.replace("execution.essai", "execution.manquements").replace(
                    "[accessibilite]", "[sanctions-manquements]"
                )
                + "---\n"
                + GOOD_BODY
                + "\n",
            ),
        ]
    )
    assert report.findings == []


@pytest.mark.parametrize(
    ("sentence", "piece", "law"),
    [
        ("Les droits sont cédés pour tous usages, sur tous supports.", "CCAP", "L131-3"),
        ("Les données de sortie appartiennent à l'acheteur.", "CCAP", "propriété"),
        ("La base et ses copies appartiennent à l'acheteur.", "CCAP", "propriété"),
        ("Les valeurs déclarées deviennent contractuelles.", "RC", "règlement de la consultation"),
        ("Une allégation non prouvée est réputée non écrite.", "CCAP", "offre"),
        ("Le retard suspend les délais de paiement.", "CCAP", "L2192-10"),
        ("L'acheteur conserve 30 % du prix jusqu'à la fin.", "CCAP", "R2191-33"),
    ],
)
def test_a_misapplied_rule_of_law_is_caught(sentence, piece, law):
    text = clause("", GOOD_BODY + "\n\n" + sentence).replace("piece: CCAP", f"piece: {piece}")
    rule = [f for f in findings(text) if f.kind == "regle"]
    assert [(f.line, f.field) for f in rule] == [(line_of(text, sentence[:20]), "corps")]
    assert law in rule[0].message


# --- the article table, the real library, the command ---------------------------------------


def test_the_ccag_table_holds_the_2021_chapters_the_review_checked():
    table = articles()
    assert sorted(table) == list(range(1, 56))
    assert [n for n, a in table.items() if a.chapter == 7] == [43, 44, 45, 46]
    assert [n for n, a in table.items() if a.chapter == 8] == list(range(47, 55))
    assert table[42].title == "Réversibilité et transférabilité"
    # Chapters 1 to 3 as the code-commande-publique.com summary of the 2021 text gives them.
    assert [n for n, a in table.items() if a.chapter == 1] == list(range(1, 10))
    assert [n for n, a in table.items() if a.chapter == 2] == [10, 11, 12]
    assert [n for n, a in table.items() if a.chapter == 3] == [13, 14, 15]
    assert table[49].title.startswith("Résiliation pour événements liés au marché")
    assert check_ref("art. 14.1.1") is None
    assert check_ref("art. 43 à 46") is None
    assert "n'existe pas" in (check_ref("art. 56") or "")


def test_the_real_library_passes_every_check():
    report = lint_directory(ROOT / "clauses")
    assert report.files >= 68
    assert [str(f) for f in report.findings] == []


def test_lint_command_exit_codes(runner, tmp_path: Path):
    ok = runner.invoke(args=["clauses", "lint", str(ROOT / "clauses")])
    assert ok.exit_code == 0, ok.output
    assert "0 constat(s)" in ok.output
    bad = tmp_path / "execution"
    bad.mkdir()
    text = clause("", "Le titulaire remet un rapport.")
    (bad / "essai.md").write_text(text, encoding="utf-8")
    result = runner.invoke(args=["clauses", "lint", str(tmp_path)])
    assert result.exit_code == 1
    assert f"execution/essai.md:{line_of(text, 'remet un rapport')}: corps:" in result.output


def test_sync_refuses_a_file_the_review_rejects_and_imports_the_others(
    session, make_user, tmp_path: Path
):
    from procure.clause_library import services as service
    from procure.core.audit import Actor

    folder = tmp_path / "lib" / "execution"
    folder.mkdir(parents=True)
    bad = clause("", GOOD_BODY + "\n\nChaque manquement entraîne une pénalité de 500 euros HT.")
    (folder / "essai.md").write_text(bad, encoding="utf-8")
    good = HEADER.replace("execution.essai", "execution.bonne") + "---\n" + GOOD_BODY + "\n"
    (folder / "bonne.md").write_text(good, encoding="utf-8")
    report = service.sync_directory(
        session=session, actor=Actor.of(make_user("legal"), "test"), directory=tmp_path / "lib"
    )
    assert [k for k, _n in report.created] == ["execution.bonne"]
    assert [(e.file, e.line, e.field) for e in report.errors] == [
        ("execution/essai.md", line_of(bad, "500 euros"), "departures")
    ]
