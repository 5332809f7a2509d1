"""The one registry of Procure's rooms: views, navigation, home panels, demo and CLI read it.

A room is a package `procure.<package>` holding:
- `models`: its tables (imported to register them);
- `views.bp`: its blueprint, named `key`, with an `index` endpoint and templates in
  `templates/<key>/`;
- `cli.GROUPS`: its `procure` command groups;
- `services.pending_work(*, session, user) -> list[dict]`: its home-page panels;
- `demo.load(*, engine, users, echo)`: its demo data.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class Room:
    key: str  # blueprint name, URL prefix and templates folder
    package: str  # the Python package under `procure`
    label: str  # navigation label
    roles: tuple[str, ...]  # roles that see the room in the navigation

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"procure.{self.package}.{name}")


# In the order of the navigation; the demo loads them in this order too (tenders need the
# approved library, evaluation needs a tender).
ROOMS: tuple[Room, ...] = (
    Room("clauses", "clause_library", "Clauses", ("legal", "buyer", "admin")),
    Room("sourcing", "suppliers", "Sourcing", ("sourcing", "admin")),
    Room("tenders", "tenders", "Marchés", ("buyer",)),
    Room("evaluation", "evaluation", "Évaluation", ("evaluator", "buyer")),
)
NAV_ORDER = ("clauses", "tenders", "sourcing", "evaluation")

# Shared parts that also contribute views and commands, registered like rooms.
SHARED_BLUEPRINTS = (
    "procure.accounts.auth_views",
    "procure.home",
    "procure.accounts.admin_views",
)
SHARED_COMMANDS = ("procure.accounts.cli",)


def rooms() -> Iterator[Room]:
    yield from ROOMS


def import_models() -> None:
    """Register every room's tables on the SQLModel metadata."""
    for room in ROOMS:
        room.module("models")


def blueprints() -> Iterator[Any]:
    for name in SHARED_BLUEPRINTS:
        yield importlib.import_module(name).bp
    for room in ROOMS:
        yield room.module("views").bp


def command_groups() -> Iterator[Any]:
    for name in (*SHARED_COMMANDS, *(f"procure.{r.package}.cli" for r in ROOMS)):
        yield from importlib.import_module(name).GROUPS


def navigation() -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, label, roles) of each room in navigation order, then the admin pages."""
    by_key = {room.key: room for room in ROOMS}
    items = [(f"{k}.index", by_key[k].label, by_key[k].roles) for k in NAV_ORDER]
    return items + [
        ("admin.user_list", "Comptes", ("admin",)),
        ("admin.audit_log", "Journal d'audit", ("admin",)),
    ]


def pending_work(*, session: Any, user: Any) -> list[dict]:
    """Every room's home-page panels for `user`, in navigation order."""
    panels: list[dict] = []
    by_key = {room.key: room for room in ROOMS}
    for key in NAV_ORDER:
        panels.extend(by_key[key].module("services").pending_work(session=session, user=user))
    return panels


def load_demo(engine: Any, echo: Callable[[str], None] = print) -> dict:
    """Load the demo: users first, then each room's data; idempotent."""
    from procure.accounts.demo import ensure_users

    users = ensure_users(engine)
    for room in ROOMS:
        room.module("demo").load(engine=engine, users=users, echo=echo)
    return users
