"""Two versions of a clause compared as a lawyer reads them: the rendered text paragraph by
paragraph (changed words highlighted, unchanged passages folded) and a table of the other
fields that changed (title, references, variables, departures, status...).

difflib (standard library) aligns the paragraphs; `word_diff` (diff-match-patch) marks the
changed words inside a changed paragraph. No diff algorithm of our own.
"""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

from procure.clause_library.models import ClauseVersion
from procure.clause_library.services.diff import word_diff
from procure.clause_library.services.rendering import readable_paragraphs
from procure.clause_library.services.values import format_value
from procure.clause_library.services.vocabulary import (
    CONDITIONS,
    COVERS,
    DEPARTURE_EFFECTS,
    VARIABLE_TYPES,
)
from procure.core.labels import STATUS_LABELS

Ops = list[tuple[str, str]]


def _paragraphs(version: ClauseVersion) -> list[str]:
    return readable_paragraphs(version.body, version.variables, version.variants)


def text_segments(a: ClauseVersion, b: ClauseVersion) -> list[dict]:
    """The readable text of b against a: [{"kind": "same", "paragraphs": [...]} |
    {"kind": "changed", "paragraphs": [ops, ...]}], ops as from `word_diff`."""
    pa, pb = _paragraphs(a), _paragraphs(b)
    segments: list[dict] = []
    matcher = SequenceMatcher(a=pa, b=pb, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            segments.append({"kind": "same", "paragraphs": pa[i1:i2]})
            continue
        old, new = pa[i1:i2], pb[j1:j2]
        changed: list[Ops] = []
        if tag == "replace":
            # Pair the paragraphs one to one; the rest are wholly deleted or inserted.
            for k in range(max(len(old), len(new))):
                changed.append(
                    word_diff(old[k] if k < len(old) else "", new[k] if k < len(new) else "")
                )
        else:
            changed.extend([("delete", p)] for p in old)
            changed.extend([("insert", p)] for p in new)
        segments.append({"kind": "changed", "paragraphs": changed})
    return segments


def _variable(v: dict) -> str:
    parts = [VARIABLE_TYPES.get(v.get("type", ""), v.get("type", ""))]
    if v.get("default") is not None:
        parts.append(f"défaut : {format_value(v, v['default'])}")
    if "min" in v:
        parts.append(f"min. {format_value(v, v['min'])}")
    if "max" in v:
        parts.append(f"max. {format_value(v, v['max'])}")
    if v.get("max_length"):
        parts.append(f"{v['max_length']} caractères au plus")
    if v.get("choices"):
        parts.append("choix : " + " ; ".join(v["choices"]))
    parts.append("obligatoire" if v.get("required") else "facultative")
    return f"{v.get('label', '')} [{v['name']}] ({' · '.join(parts)})"


def _reference(r: dict) -> str:
    return (
        r["source"]
        + (f", {r['article']}" if r.get("article") else "")
        + (f" : {r['note']}" if r.get("note") else "")
    )


def _departure(d: dict) -> str:
    out = f"{d['article']} : {d['text']}"
    if d.get("effect"):
        out += f" ({DEPARTURE_EFFECTS.get(d['effect'], (d['effect'],))[0]})"
    if d.get("variants"):
        out += " — variantes : " + ", ".join(d["variants"])
    return out


# (field, label, how to read the field as lines: (identity, text)), in the table's order. Two
# lines with the same identity are the same item changed: their words are compared.
LIST_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("covers", "Sujets couverts", lambda v: [(c, COVERS.get(c, c)) for c in v.covers]),
    (
        "conditions",
        "Proposée seulement si",
        lambda v: [(c, CONDITIONS.get(c, c)) for c, on in v.conditions.items() if on],
    ),
    ("variables", "Variables", lambda v: [(x["name"], _variable(x)) for x in v.variables]),
    (
        "variants",
        "Variantes",
        lambda v: [(x["key"], f"{x['label']} [{x['key']}]") for x in v.variants],
    ),
    (
        "references",
        "Références juridiques",
        lambda v: [((x["source"], x.get("article", "")), _reference(x)) for x in v.references],
    ),
    (
        "departures",
        "Dérogations au CCAG-TIC",
        lambda v: [(x["article"], _departure(x)) for x in v.departures],
    ),
    (
        "depends",
        "Dépendances",
        lambda v: [
            (x["subject"], x["subject"] + (f" : {x['note']}" if x.get("note") else ""))
            for x in v.depends
        ],
    ),
)
TEXT_FIELDS: tuple[tuple[str, str, Any], ...] = (
    ("title", "Titre", lambda v: v.title),
    ("summary", "Résumé", lambda v: v.summary),
    ("piece", "Pièce", lambda v: v.piece),
    ("status", "Statut", lambda v: STATUS_LABELS.get(v.status, v.status)),
    ("change_note", "Note de changement", lambda v: v.change_note),
)


def metadata_rows(a: ClauseVersion, b: ClauseVersion) -> list[dict]:
    """The fields other than the text that differ: [{"field", "label", "a": ops, "b": ops}];
    each side is a list of lines, each line word-diff ops: a text field is one line; a list
    field has one line per item, wholly "delete" (only in a) or "insert" (only in b), or, for
    an item in both that changed, its changed words marked."""
    rows = []
    for name, label, read in TEXT_FIELDS:
        old, new = read(a) or "", read(b) or ""
        if old != new:
            ops = word_diff(old, new)
            rows.append(
                {
                    "field": name,
                    "label": label,
                    "a": [[(op, t) for op, t in ops if op != "insert"]],
                    "b": [[(op, t) for op, t in ops if op != "delete"]],
                }
            )
    for name, label, read in LIST_FIELDS:
        old, new = read(a), read(b)
        if [t for _k, t in old] == [t for _k, t in new]:
            continue
        old_by_id, new_by_id = dict(old), dict(new)
        side_a, side_b = [], []
        for ident, line in old:
            other = new_by_id.get(ident)
            if other is None:
                side_a.append([("delete", line)])
            else:
                side_a.append([(op, t) for op, t in word_diff(line, other) if op != "insert"])
        for ident, line in new:
            other = old_by_id.get(ident)
            if other is None:
                side_b.append([("insert", line)])
            else:
                side_b.append([(op, t) for op, t in word_diff(other, line) if op != "delete"])
        rows.append({"field": name, "label": label, "a": side_a, "b": side_b})
    return rows
