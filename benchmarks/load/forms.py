"""Read an HTML form as a browser would submit it (inputs, checked boxes, selects, text areas)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise RuntimeError("page sans jeton CSRF")
    return match.group(1)


def form_fields(html: str, selector: str) -> list[tuple[str, str]]:
    form = BeautifulSoup(html, "html.parser").select_one(selector)
    if form is None:
        raise RuntimeError(f"formulaire introuvable : {selector}")
    fields: list[tuple[str, str]] = []
    for el in form.select("input[name], select[name], textarea[name]"):
        name = el["name"]
        if el.name == "input":
            kind = el.get("type", "text")
            if kind in ("checkbox", "radio") and not el.has_attr("checked"):
                continue
            if kind in ("submit", "button", "file"):
                continue
            fields.append((name, el.get("value", "on" if kind == "checkbox" else "")))
        elif el.name == "select":
            chosen = el.select("option[selected]") or el.select("option")[:1]
            fields.extend((name, o.get("value", o.text)) for o in chosen)
        else:
            fields.append((name, el.text))
    return fields
