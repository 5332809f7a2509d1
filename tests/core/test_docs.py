"""Meta-tests: every setting and every command is documented; every template a view names exists."""

from __future__ import annotations

import re

import click

from procure.cli import main
from procure.core.config import SETTINGS
from tests.factories import ROOT

DOCS = (
    "\n".join(p.read_text() for p in sorted((ROOT / "docs").glob("*.md")))
    + (ROOT / "README.md").read_text()
)


def _commands(group: click.Group, prefix: str = "procure"):
    for name, cmd in group.commands.items():
        path = f"{prefix} {name}"
        yield path
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, path)


def test_every_setting_is_documented():
    missing = [name for name in SETTINGS if f"PROCURE_{name}" not in DOCS]
    assert not missing, f"réglages non documentés : {missing}"


def test_every_command_is_documented():
    missing = [path for path in _commands(main) if path not in DOCS]
    assert not missing, f"commandes non documentées : {missing}"


def test_readme_has_the_two_commands_first():
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh", 1)[1].split("```", 1)[0]
    assert [line.split()[0:2] for line in first_block.strip().splitlines()] == [
        ["make", "run"],
        ["make", "test"],
    ]


def test_every_template_named_in_code_exists():
    names = set()
    for path in (ROOT / "procure").rglob("*.py"):
        names.update(re.findall(r"""["']([\w/]+\.html)["']""", path.read_text()))
    for path in (ROOT / "templates").rglob("*.html"):
        names.update(
            re.findall(r"""(?:include|extends|import)\s+["']([\w/]+\.html)["']""", path.read_text())
        )
    missing = sorted(n for n in names if not (ROOT / "templates" / n).exists())
    assert not missing, f"gabarits manquants : {missing}"


def test_architecture_names_every_package_and_only_existing_modules():
    """docs/architecture.md matches the code: each module it names exists, each package is named."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    named = set(re.findall(r"`((?:procure|sourcing|tests)/[\w/]*(?:\.py)?/?)`", text))
    assert named, "l'architecture doit nommer les modules"
    missing = sorted(n for n in named if not (ROOT / n).exists())
    assert not missing, f"modules nommés dans docs/architecture.md mais absents : {missing}"
    packages = sorted(
        str(p.parent.relative_to(ROOT)) + "/"
        for top in ("procure", "sourcing")
        for p in (ROOT / top).rglob("__init__.py")
        if "_bundled" not in p.parts
    )
    unnamed = [p for p in packages if p not in named]
    assert not unnamed, f"paquets absents de docs/architecture.md : {unnamed}"
