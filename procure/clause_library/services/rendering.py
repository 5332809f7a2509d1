"""Rendering a clause body: the chosen variant's blocks, placeholders replaced by values."""

from __future__ import annotations

import re

from procure.clause_library.services.values import format_value
from procure.clause_library.services.vocabulary import (
    PLACEHOLDER_RE,
    TENDER_PLACEHOLDERS,
    TENDER_PREFIX,
    VARIANT_OPEN_RE,
)


def select_variant_lines(body: str, variant: str | None) -> list[str]:
    """The body's lines for one variant: common text plus that variant's blocks (a block
    boundary counts as a paragraph break)."""
    kept: list[str] = []
    current: str | None = None
    inside = False
    for line in body.split("\n"):
        stripped = line.strip()
        opening = VARIANT_OPEN_RE.match(stripped)
        if opening:
            inside, current = True, opening.group(1)
            kept.append("")
            continue
        if inside and stripped == ":::":
            inside, current = False, None
            kept.append("")
            continue
        if not inside or current == variant:
            kept.append(line)
    return kept


def body_variants(body: str) -> list[str]:
    """Variant keys in the order their blocks first appear in the body."""
    found: list[str] = []
    for line in body.split("\n"):
        opening = VARIANT_OPEN_RE.match(line.strip())
        if opening and opening.group(1) not in found:
            found.append(opening.group(1))
    return found


def render_blocks(
    body: str,
    variables: list[dict],
    variant: str | None,
    values: dict,
    *,
    variants: list[dict] | None = None,
    tender_values: dict[str, str] | None = None,
) -> list[tuple[str, str]]:
    """Render a body: [("p" | "li", text)], with the chosen variant's blocks and the values.

    `variant=None` means the default variant: the first of `variants` when given, else the first
    variant block of the body. Placeholders of declared variables are replaced by French-formatted
    values; an empty value renders as "[à compléter : <label>]". The text is NOT escaped: escaping
    happens at output (HTML autoescape, DOCX/ODT writers). Reserved `marche.*` placeholders
    take their text from `tender_values` (computed by the tenders room from the tender itself),
    else "[valeur du marché : <label>]".
    """
    if variant is None:
        keys = [v["key"] for v in variants] if variants else body_variants(body)
        variant = keys[0] if keys else None
    by_name = {v["name"]: v for v in variables}
    values = values or {}

    def substitute(match: re.Match) -> str:
        name = match.group(1).strip()
        if name.startswith(TENDER_PREFIX):
            if name not in TENDER_PLACEHOLDERS:
                return f"[valeur du marché inconnue : {name}]"
            given = (tender_values or {}).get(name)
            return given if given else f"[valeur du marché : {TENDER_PLACEHOLDERS[name]}]"
        var = by_name.get(name)
        if var is None:  # parse refuses this; never let it through as text
            return f"[variable inconnue : {name}]"
        return format_value(var, values.get(name))

    blocks: list[tuple[str, str]] = []
    current: list[str] = []
    kind = "p"

    def flush() -> None:
        nonlocal current
        if current:
            text = " ".join(part.strip() for part in current)
            blocks.append((kind, PLACEHOLDER_RE.sub(substitute, text)))
        current = []

    for line in select_variant_lines(body, variant):
        stripped = line.strip()
        if not stripped:
            flush()
            kind = "p"
        elif stripped.startswith("- "):
            flush()
            kind = "li"
            current = [stripped[2:]]
        else:
            if kind == "li" and not current:
                kind = "p"
            current.append(stripped)
    flush()
    return blocks


def variant_variables(body: str, variables: list[dict], variant: str | None) -> list[dict]:
    """The variables a variant's text uses (the others are neither asked for nor printed)."""
    keys = body_variants(body)
    chosen = variant if variant else (keys[0] if keys else None)
    used = {
        m.group(1).strip()
        for line in select_variant_lines(body, chosen)
        for m in PLACEHOLDER_RE.finditer(line)
    }
    return [v for v in variables if v["name"] in used]


def readable_paragraphs(body: str, variables: list[dict], variants: list[dict]) -> list[str]:
    """The body as a lawyer reads it, every variant included: paragraphs (and list items) with
    each variable shown as « [libellé] », each variant block opened by « Variante « libellé » : »
    and closed by « Fin de la variante », no template markup. For comparing versions."""
    labels = {v["name"]: v.get("label") or v["name"] for v in variables}
    variant_labels = {v["key"]: v.get("label") or v["key"] for v in variants}

    def placeholder(match: re.Match) -> str:
        name = match.group(1).strip()
        if name.startswith(TENDER_PREFIX):
            return f"[valeur du marché : {TENDER_PLACEHOLDERS.get(name, name)}]"
        return f"[{labels.get(name, name)}]"

    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(PLACEHOLDER_RE.sub(placeholder, " ".join(current)))
            current.clear()

    for line in body.replace("\r\n", "\n").split("\n"):
        stripped = line.strip()
        opening = VARIANT_OPEN_RE.match(stripped)
        if opening:
            flush()
            key = opening.group(1)
            paragraphs.append(f"Variante « {variant_labels.get(key, key)} » :")
        elif stripped == ":::":
            flush()
            paragraphs.append("Fin de la variante.")
        elif not stripped:
            flush()
        elif stripped.startswith("- "):
            flush()
            current.append("• " + stripped[2:])
        else:
            current.append(stripped)
    flush()
    return paragraphs
