"""A validated clause (`ClauseSpec`) and the error a refused clause file or form raises."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import yaml

from procure.clause_library.services.vocabulary import OPTIONAL_FIELDS, REQUIRED_FIELDS


class ClauseFormatError(ValueError):
    """A clause file or form refused: which file, which line, which field, why (in French)."""

    def __init__(
        self, message: str, *, file: str = "", line: int | None = None, field: str | None = None
    ):
        self.file, self.line, self.field, self.message = file, line, field, message
        where = file + (f":{line}" if line else "")
        super().__init__(f"{where}: " + (f"{field}: " if field else "") + message)


@dataclass
class ClauseSpec:
    """A validated clause, in canonical form (what a version stores and what the hash covers)."""

    key: str
    family: str
    title: str
    piece: str
    summary: str = ""
    covers: list[str] = field(default_factory=list)
    conditions: dict = field(default_factory=dict)
    variables: list[dict] = field(default_factory=list)
    variants: list[dict] = field(default_factory=list)
    references: list[dict] = field(default_factory=list)
    departures: list[dict] = field(default_factory=list)
    depends: list[dict] = field(default_factory=list)
    body: str = ""

    @property
    def name(self) -> str:
        """The file name without `.md` (the part of the key after the family)."""
        return self.key.split(".", 1)[1]

    def to_dict(self) -> dict:
        return asdict(self)

    def content_hash(self) -> str:
        """sha256 hex of a canonical JSON of every field."""
        canonical = json.dumps(
            self.to_dict(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def front_matter(self) -> dict:
        """The YAML header as an ordered dict, leaving out empty optional fields."""
        data: dict[str, Any] = {name: getattr(self, name) for name in REQUIRED_FIELDS}
        for name in OPTIONAL_FIELDS:
            value = getattr(self, name)
            if value:
                data[name] = value
        return data

    def to_front_matter_text(self) -> str:
        """The .md file text: YAML front matter, then the body."""
        header = yaml.safe_dump(
            self.front_matter(),
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=False,
            width=100_000,
        )
        return f"---\n{header}---\n{self.body}\n"
