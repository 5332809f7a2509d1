"""The append-only audit log: one event per change of state, in the caller's transaction."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol

from sqlmodel import Session, col, func, select

from procure.core.csvfile import csv_bytes
from procure.core.errors import ValidationError
from procure.core.formatting import format_date, format_number, format_timestamp, parse_date
from procure.core.labels import (
    AUDIT_ACTION_LABELS,
    AUDIT_AREAS,
    AUDIT_DETAIL_LABELS,
    RECORD_TYPE_LABELS,
)
from procure.core.models import ROLES, AuditEvent, User


@dataclass(frozen=True)
class Actor:
    """Who acts, and from where: a web user, a CLI user or the system."""

    user_id: int | None
    email: str
    client_addr: str = ""
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user: User, client_addr: str = "") -> Actor:
        return cls(user.id, user.email, client_addr, frozenset(user.roles))

    @classmethod
    def system(cls, client_addr: str = "cli") -> Actor:
        return cls(None, "systeme", client_addr, frozenset({"admin"}))

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    *,
    record_type: str = "",
    record_id: Any = "",
    details: dict | None = None,
) -> AuditEvent:
    """Add an audit event to the session; the caller's commit writes it with the change."""
    event = AuditEvent(
        actor_id=actor.user_id if actor else None,
        actor_email=actor.email if actor else "",
        client_addr=actor.client_addr if actor else "",
        action=action,
        record_type=record_type,
        record_id=str(record_id) if record_id is not None else "",
        details=details or {},
    )
    session.add(event)
    return event


ACTION_RE = re.compile(r"[a-z_]+(\.[a-z_]+)?")
EXPORT_MAX_ROWS = 50_000  # an export is built in memory: beyond this, narrow the filters


@dataclass(frozen=True)
class AuditFilter:
    """What the audit page and its export show: an action (or a whole area), a type of record,
    an author, a range of days (UTC, both included)."""

    action: str = ""  # "auth.login" (that action) or "auth" (every action of the area)
    record_type: str = ""
    actor_email: str = ""
    since: date | None = None
    until: date | None = None

    def query_args(self) -> dict[str, str]:
        """The filter as URL parameters and form values (days as jj/mm/aaaa), empty ones left
        out."""
        args = {
            "action": self.action,
            "record_type": self.record_type,
            "actor_email": self.actor_email,
            "since": self.since.strftime("%d/%m/%Y") if self.since else "",
            "until": self.until.strftime("%d/%m/%Y") if self.until else "",
        }
        return {k: v for k, v in args.items() if v}

    def described(self) -> dict[str, str]:
        """The filter in French words, for the export's audit event."""
        shown = {
            "action": AUDIT_ACTION_LABELS.get(self.action)
            or AUDIT_AREAS.get(self.action, self.action),
            "record_type": RECORD_TYPE_LABELS.get(self.record_type, self.record_type),
            "actor": self.actor_email,
            "since": format_date(self.since, empty=""),
            "until": format_date(self.until, empty=""),
        }
        return {k: v for k, v in shown.items() if v}


FILTER_FIELDS = {
    "action": "Action",
    "record_type": "Type d'objet",
    "actor_email": "Auteur",
    "since": "Du",
    "until": "Au",
}


def parse_filter(args: Mapping[str, str]) -> tuple[AuditFilter, dict[str, str]]:
    """Read the filter from a form's values; a bad field is left out and named in the errors
    (field -> French message), so the page still shows what the valid fields select."""
    errors: dict[str, str] = {}
    values = {k: (args.get(k) or "").strip() for k in FILTER_FIELDS}
    action, record_type, actor = values["action"], values["record_type"], values["actor_email"]
    if action and (len(action) > 80 or not ACTION_RE.fullmatch(action)):
        errors["action"] = "Action : choisissez une action de la liste."
        action = ""
    if record_type and (len(record_type) > 60 or not ACTION_RE.fullmatch(record_type)):
        errors["record_type"] = "Type d'objet : choisissez un type de la liste."
        record_type = ""
    if len(actor) > 254:
        errors["actor_email"] = "Auteur : 254 caractères au plus."
        actor = ""
    days: dict[str, date | None] = {"since": None, "until": None}
    for name in days:
        if values[name]:
            try:
                days[name] = parse_date(values[name])
            except ValueError as exc:
                errors[name] = f"{FILTER_FIELDS[name]} : {exc}"
    since, until = days["since"], days["until"]
    if since and until and since > until:
        errors["until"] = "Au : la date de fin précède la date de début."
        until = None
    return AuditFilter(action, record_type, actor, since, until), errors


def _filtered(query: Any, where: AuditFilter) -> Any:
    if where.action:
        if "." in where.action:
            query = query.where(AuditEvent.action == where.action)
        else:
            query = query.where(col(AuditEvent.action).startswith(f"{where.action}."))
    if where.record_type:
        query = query.where(AuditEvent.record_type == where.record_type)
    if where.actor_email:
        query = query.where(
            col(AuditEvent.actor_email).contains(where.actor_email, autoescape=True)
        )
    if where.since:
        query = query.where(col(AuditEvent.at) >= datetime.combine(where.since, time(), UTC))
    if where.until:
        end = datetime.combine(where.until + timedelta(days=1), time(), UTC)
        query = query.where(col(AuditEvent.at) < end)
    return query


def list_events(
    *,
    session: Session,
    action: str | None = None,
    record_type: str | None = None,
    actor_email: str | None = None,
    where: AuditFilter | None = None,
    page: int = 1,
    per_page: int = 50,
) -> tuple[list[AuditEvent], int]:
    """Return one page of events, newest first, and the total count."""
    where = where or AuditFilter(action or "", record_type or "", actor_email or "")
    query = _filtered(select(AuditEvent), where)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(AuditEvent.id).desc()).offset((page - 1) * per_page).limit(per_page)
    ).all()
    return list(rows), total


def action_choices(*, session: Session) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The actions a filter can choose, by area: (area, area label, [(action, label)]), the
    labelled ones in the table's order, then any other action found in the log."""
    logged = set(session.exec(select(AuditEvent.action).distinct()).all())
    known = list(AUDIT_ACTION_LABELS) + sorted(logged - set(AUDIT_ACTION_LABELS))
    groups: dict[str, list[tuple[str, str]]] = {}
    for code in known:
        area = code.partition(".")[0]
        groups.setdefault(area, []).append((code, AUDIT_ACTION_LABELS.get(code, code)))
    order = list(AUDIT_AREAS) + sorted(set(groups) - set(AUDIT_AREAS))
    return [(a, AUDIT_AREAS.get(a, a), groups[a]) for a in order if a in groups]


def record_type_choices(*, session: Session) -> list[tuple[str, str]]:
    """The record types a filter can choose: the labelled ones, then any other in the log."""
    logged = set(session.exec(select(AuditEvent.record_type).distinct()).all()) - {""}
    codes = list(RECORD_TYPE_LABELS) + sorted(logged - set(RECORD_TYPE_LABELS))
    return [(c, RECORD_TYPE_LABELS.get(c, c)) for c in codes]


# Events whose details carry evaluators' notes, comments or totals: the audit page shows an
# administrator that they happened, not what they say (admins have no access to evaluations;
# the details stay in the log for the buyer's legal needs and a database-level inquiry).
CONFIDENTIAL_ACTIONS = frozenset(
    {"evaluation.score", "evaluation.final_score", "evaluation.lock", "evaluation.submit"}
)


class EventLike(Protocol):
    """An audit event, or a row of its columns (the export reads columns, not objects)."""

    id: int | None
    at: datetime
    actor_email: str
    action: str
    record_type: str
    record_id: str
    details: dict
    client_addr: str


def shown_details(event: EventLike) -> dict:
    """What the audit page shows of an event's details (confidential ones are withheld)."""
    if event.action in CONFIDENTIAL_ACTIONS:
        return {"détails": "confidentiels (évaluation des offres)"}
    return event.details or {}


def _text(value: Any, *, roles: bool = False) -> str:
    """A detail's value as a person reads it: text as is, numbers in French, lists and
    mappings spelled out."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, int | float):
        return format_number(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(v, roles=roles) for v in value)
    if isinstance(value, dict):
        return " ; ".join(
            f"{AUDIT_DETAIL_LABELS.get(str(k), str(k))} : {_text(v, roles=roles)}"
            for k, v in value.items()
        )
    text = str(value)
    return ROLES.get(text, text) if roles else text


ROLE_KEYS = frozenset({"roles", "before", "after"})


def readable_details(event: EventLike) -> list[tuple[str, str]]:
    """The event's details (what the page may show of them) as (French label, text) pairs."""
    roles = event.action.startswith("user.")
    return [
        (AUDIT_DETAIL_LABELS.get(key, key), _text(value, roles=roles and key in ROLE_KEYS))
        for key, value in shown_details(event).items()
    ]


@dataclass(frozen=True)
class AuditRow:
    """One event as the audit page and its export show it."""

    id: int
    at: str
    actor: str
    action: str
    action_label: str
    record_type: str
    record_type_label: str
    record_id: str
    details: list[tuple[str, str]]
    client_addr: str
    event: EventLike

    @property
    def details_text(self) -> str:
        return " | ".join(f"{label} : {text}" for label, text in self.details)


def audit_row(event: EventLike) -> AuditRow:
    return AuditRow(
        id=event.id or 0,
        at=format_timestamp(event.at),
        actor=event.actor_email or "—",
        action=event.action,
        action_label=AUDIT_ACTION_LABELS.get(event.action, event.action),
        record_type=event.record_type,
        record_type_label=RECORD_TYPE_LABELS.get(event.record_type, event.record_type),
        record_id=event.record_id,
        details=readable_details(event),
        client_addr=event.client_addr,
        event=event,
    )


EXPORT_HEADER = [
    "N°",
    "Date (UTC)",
    "Auteur",
    "Action",
    "Code de l'action",
    "Objet",
    "N° de l'objet",
    "Détails",
    "Adresse",
]


def export_csv(*, session: Session, actor: Actor, where: AuditFilter) -> tuple[bytes, int]:
    """The filtered events as a CSV (newest first) and their count; the export is audited.

    Refused beyond `EXPORT_MAX_ROWS` events: the message asks to narrow the filter.
    """
    query = _filtered(select(AuditEvent), where)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    if total > EXPORT_MAX_ROWS:
        raise ValidationError(
            f"L'export est limité à {format_number(EXPORT_MAX_ROWS)} événements et "
            f"{format_number(total)} correspondent au filtre : resserrez-le (dates, action).",
            fields={"since": "Choisissez une période plus courte."},
        )
    # Columns, not ORM objects: building 50 000 objects would take most of the export's time.
    columns = [getattr(AuditEvent, c) for c in EventLike.__annotations__]
    events = session.exec(
        _filtered(select(*columns), where).order_by(col(AuditEvent.id).desc())
    ).all()
    body = csv_bytes(
        EXPORT_HEADER,
        (
            [
                r.id,
                r.at,
                r.actor,
                r.action_label,
                r.action,
                r.record_type_label,
                r.record_id,
                r.details_text,
                r.client_addr,
            ]
            for r in map(audit_row, events)
        ),
    )
    record(
        session,
        actor,
        "audit.export",
        details={"filters": where.described(), "rows": total},
    )
    session.commit()
    return body, total
