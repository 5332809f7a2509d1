"""Bounds on the YAML that people type (clause files, form fields): no anchors or aliases.

An alias makes two places of the document share one node: walking the composed tree, or
serialising what was loaded, then repeats the shared part once per path, which grows
exponentially with nested aliases (389 bytes took 2.4 s, each level ×8). Clause headers never
need them, so they are refused, after a scan of the parser's events (linear in the text).
"""

from __future__ import annotations

import yaml

MAX_ALIASES = 0
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlAliasError(ValueError):
    """The text uses YAML anchors or aliases; `line` is 1-based within the text."""

    def __init__(self, line: int):
        super().__init__("les ancres et alias YAML (& et *) ne sont pas permis.")
        self.line = line


def refuse_aliases(text: str) -> None:
    """Raise YamlAliasError at the first anchor or alias; YAMLError if the text is not YAML."""
    for event in yaml.parse(text, Loader=_LOADER):
        anchored = isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None)
        if anchored:
            mark = event.start_mark
            raise YamlAliasError(mark.line + 1 if mark else 1)
