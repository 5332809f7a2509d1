"""`procure tenders ...` and `procure verify`: the tenders room from the command line."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from procure.core.errors import DomainError, ValidationError
from procure.tenders import services as svc
from procure.web.cli_support import (
    as_option,
    cli_session,
    domain_errors,
    echo_json,
    resolve_actor,
    resources,
)


@click.group(
    "tenders", cls=AppGroup, help="Marchés : créer, vérifier la conformité, exporter les pièces."
)
def group() -> None:
    pass


def _summary(session, tender) -> dict:
    rows = svc.tender_clauses(session=session, tender=tender)
    return {
        "id": tender.id,
        "reference": tender.reference,
        "title": tender.title,
        "buyer": tender.buyer,
        "procedure": tender.procedure,
        "cpv": tender.cpv_codes,
        "amount": tender.amount,
        "ai_high_risk": tender.ai_high_risk,
        "personal_data": tender.personal_data,
        "sensitive_data": tender.sensitive_data,
        "buyer_kind": tender.buyer_kind,
        "interacts_with_people": tender.interacts_with_people,
        "health_data": tender.health_data,
        "particularly_sensitive_data": tender.particularly_sensitive_data,
        "launch_date": tender.launch_date.isoformat() if tender.launch_date else None,
        "defence_or_security": tender.defence_or_security,
        "lots": tender.lots,
        "lots_reason": tender.lots_reason,
        "hosting_security_reason": tender.hosting_security_reason,
        "profile_confirmed": tender.profile_confirmed,
        "award_criteria": tender.award_criteria,
        "requests_per_year": tender.requests_per_year,
        "tokens_per_request": tender.tokens_per_request,
        "status": tender.status,
        "lock_version": tender.lock_version,
        "clauses": [
            {
                "key": r.clause.key,
                "version": r.version.number,
                "piece": r.version.piece,
                "variant": r.link.variant,
                "values": r.link.values,
                "proposed_by": r.link.proposed_by,
                "latest_version": r.latest.number if r.latest else None,
            }
            for r in rows
        ],
    }


@group.command(
    "create",
    help="Créer un marché depuis un fichier JSON (title, buyer, procedure, cpv, amount, "
    "ai_high_risk, personal_data, sensitive_data, award_criteria, clauses).",
)
@click.option(
    "--from",
    "spec_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier JSON décrivant le marché.",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@as_option
@domain_errors
def create(spec_file: Path, as_json: bool, as_email: str | None):
    try:
        spec = json.loads(spec_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError(f"Fichier introuvable : {spec_file}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", None)
        raise ValidationError(
            f"{spec_file.name}{f', ligne {line}' if line else ''} : JSON illisible ({exc})."
        ) from None
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer")
        tender = svc.create_from_spec(session=session, actor=actor, spec=spec)
        count = len(svc.tender_clauses(session=session, tender=tender))
        out = {"id": tender.id, "reference": tender.reference, "clauses": count}
    if as_json:
        echo_json(out)
    else:
        click.echo(f"Marché créé : {out['reference']} (id {out['id']}, {count} clauses)")


@group.command("list", help="Lister les marchés visibles.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@domain_errors
def list_(as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer", "admin")
        rows = [
            {
                "id": t.id,
                "reference": t.reference,
                "title": t.title,
                "buyer": t.buyer,
                "status": t.status,
            }
            for t in svc.list_tenders(session=session, actor=actor)
        ]
    if as_json:
        echo_json(rows)
    else:
        for r in rows:
            click.echo(f"{r['id']:>4}  {r['reference']:<16} {r['title']}")


@group.command("show", help="Afficher un marché et ses clauses.")
@click.argument("tender_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@as_option
@domain_errors
def show(tender_id: int, as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer")
        tender = svc.get_tender(session=session, actor=actor, tender_id=tender_id)
        data = _summary(session, tender)
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['reference']} – {data['title']} ({data['buyer']})")
    click.echo(
        f"Procédure : {svc.PROCEDURES.get(data['procedure'], data['procedure'])} ; CPV : {', '.join(data['cpv'])}"
    )
    for c in data["award_criteria"]:
        click.echo(f"  critère {c['name']} ({c['kind']}) : {c['weight']} % – {c.get('method', '')}")
    for c in data["clauses"]:
        stale = (
            f" (version {c['latest_version']} disponible)"
            if (c["latest_version"] or 0) > c["version"]
            else ""
        )
        click.echo(
            f"  [{c['piece']}] {c['key']} v{c['version']} {c['variant']} – {c['proposed_by']}{stale}"
        )


@group.command("check", help="Vérifier la conformité d'un marché (code, gravité, message).")
@click.argument("tender_id", type=int)
@click.option("--json", "as_json", is_flag=True)
@as_option
@domain_errors
def check(tender_id: int, as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer")
        tender = svc.get_tender(session=session, actor=actor, tender_id=tender_id)
        findings = [f.to_dict() for f in svc.check(session=session, tender=tender)]
    if as_json:
        echo_json(findings)
    else:
        for f in findings:
            click.echo(f"{f['severity']:<8} {f['code']:<32} {f['message']}")
            if f["basis"]:
                click.echo(f"{'':<41} Fondement : {f['basis']}")
    if any(f["severity"] == "error" for f in findings):
        raise SystemExit(2)


@group.command("export", help="Exporter une pièce (RC, CCAP, CCTP) en DOCX ou ODT.")
@click.argument("tender_id", type=int)
@click.option("--piece", required=True, type=click.Choice(list(svc.PIECES), case_sensitive=False))
@click.option(
    "--format", "fmt", required=True, type=click.Choice(list(svc.FORMATS), case_sensitive=False)
)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier à écrire.",
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@domain_errors
def export(tender_id: int, piece: str, fmt: str, output: Path, as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer")
        store = resources().documents
        doc = svc.export(
            session=session, actor=actor, tender_id=tender_id, piece=piece, fmt=fmt, store=store
        )
        # The store keeps the recorded file (its download link works); the user gets a copy.
        try:
            shutil.copyfile(store.locate("tenders", doc.tender_id, doc.filename), output)
        except OSError as exc:
            raise DomainError(
                f"L'export n° {doc.id} est enregistré, mais sa copie vers {output} a échoué "
                f"({exc.strerror or exc})."
            ) from None
        out = {
            "document_id": doc.id,
            "file": str(output),
            "sha256": doc.sha256,
            "piece": doc.piece,
            "format": doc.format,
            "clauses": len(doc.manifest),
        }
    if as_json:
        echo_json(out)
    else:
        click.echo(
            f"{out['piece']} écrit dans {output} ({out['clauses']} clauses, SHA-256 {out['sha256']})"
        )


@click.command(
    "verify", help="Vérifier un DOCX ou ODT exporté : clause par clause, conforme ou modifiée."
)
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@as_option
@with_appcontext
@domain_errors
def verify(file: Path, as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer")
        report = svc.verify(session=session, actor=actor, path=file)
    if as_json:
        echo_json(report)
    else:
        state = "inchangé" if report["file_unchanged"] else "modifié depuis l'export"
        click.echo(
            f"{report['reference']} {report['piece']} ({report['format']}) : fichier {state}"
        )
        for c in report["clauses"]:
            click.echo(f"  {c['status']:<9} {c['key']} v{c['version']}")
            if c["diff"]:
                click.echo(f"            {svc.diff_text(c['diff'])}")
    if report["summary"]["modifiee"] or report["summary"]["absente"]:
        raise SystemExit(2)


GROUPS = [group, verify]
