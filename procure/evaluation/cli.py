"""`procure footprint ...` and `procure evaluation ...`: the evaluation room from the command line."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask.cli import AppGroup

from procure.accounts import services as user_service
from procure.core.errors import NotFound
from procure.core.formatting import format_number
from procure.evaluation import services as ev
from procure.evaluation.footprint_cli import footprint_group
from procure.tenders import services as tenders
from procure.tenders.models import Tender
from procure.web.cli_support import (
    as_option,
    cli_session,
    confirm_as_option,
    domain_errors,
    echo_json,
    resolve_actor,
    resources,
)


@click.group(
    "evaluation",
    cls=AppGroup,
    help="Offres, déclarations, notes, consensus, verrouillage, rapport.",
)
def evaluation_group() -> None:
    pass


def _offer(session, tender: Tender, supplier: str):
    for offer in ev.list_offers(session=session, tender_id=tender.id):
        if str(offer.id) == supplier or offer.supplier_name.lower() == supplier.lower():
            return offer
    raise NotFound(
        f"Offre introuvable pour {tender.reference} : {supplier} (numéro ou nom du soumissionnaire)."
    )


tender_arg = click.argument("tender_ref", metavar="REFERENCE")


@evaluation_group.command("offers", help="Lister les offres d'un marché et leurs empreintes.")
@tender_arg
@as_option
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def offers(tender_ref, as_email, as_json):
    with cli_session() as session:
        tender = tenders.tender_by_reference(session=session, reference=tender_ref)
        actor = resolve_actor(session, as_email)
        ev.access(session=session, actor=actor, tender=tender)
        offers = ev.list_offers(session=session, tender_id=tender.id)
        footprints = ev.footprints_of(session=session, tender=tender, offers=offers)
        rows = []
        for o in offers:
            f = footprints[o.id]
            rows.append(
                {
                    "id": o.id,
                    "supplier": o.supplier_name,
                    "siren": o.siren,
                    "lot": o.lot,
                    "price": o.price,
                    "documents": o.documents,
                    "kgco2e_per_year": f["kgco2e_per_year"] if f else None,
                    "defaults_applied": f["defaults_applied"] if f else None,
                }
            )
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        kg = (
            f"{format_number(r['kgco2e_per_year'], 1)} kgCO2e/an"
            if r["kgco2e_per_year"] is not None
            else "sans déclaration"
        )
        click.echo(
            f"{r['id']:>4}  {r['supplier']:<32} lot {r['lot'] or '-':<4} {format_number(r['price'], 2):>14} € HT  {kg}"
        )


@evaluation_group.command("offer-add", help="Enregistrer une offre reçue.")
@tender_arg
@click.option("--supplier", required=True, help="Nom du soumissionnaire.")
@click.option("--siren", default="", help="SIREN (9 chiffres).")
@click.option("--lot", default="", help="Numéro de lot.")
@click.option("--price", default=None, help="Prix en euros HT.")
@click.option("--document", "documents", multiple=True, help="Référence d'une pièce (répétable).")
@as_option
@domain_errors
def offer_add(tender_ref, supplier, siren, lot, price, documents, as_email):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer", "admin")
        offer = ev.add_offer(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
            supplier_name=supplier,
            siren=siren,
            lot=lot,
            price=price,
            documents=list(documents),
        )
    click.echo(f"Offre {offer.id} enregistrée : {offer.supplier_name}")


@evaluation_group.command(
    "declare", help="Importer la déclaration environnementale (JSON ou CSV) d'une offre."
)
@tender_arg
@click.argument("offer")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@as_option
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def declare(tender_ref, offer, file, as_email, as_json):
    path = Path(file)
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer", "admin")
        target = _offer(
            session, tenders.tender_by_reference(session=session, reference=tender_ref), offer
        )
        decl = ev.import_declaration(
            session=session,
            actor=actor,
            offer_id=target.id,
            text=path.read_text(encoding="utf-8"),
            filename=path.name,
        )
    if as_json:
        echo_json(decl.footprint)
    else:
        click.echo(
            f"Déclaration enregistrée pour {target.supplier_name} : {format_number(decl.footprint['kgco2e_per_year'], 1)} kgCO2e/an "
            f"(par défaut : {', '.join(decl.footprint['defaults_applied']) or 'rien'})"
        )


@evaluation_group.command("assign", help="Désigner les évaluateurs et l'évaluateur principal.")
@tender_arg
@click.option(
    "--evaluator",
    "emails",
    multiple=True,
    required=True,
    help="Adresse d'un évaluateur (répétable).",
)
@click.option("--lead", required=True, help="Adresse de l'évaluateur principal.")
@as_option
@domain_errors
def assign(tender_ref, emails, lead, as_email):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "buyer", "admin")
        ids = []
        for email in emails:
            user = user_service.find_by_email(session=session, email=email)
            if not user:
                raise NotFound(f"Aucun compte pour {email}.")
            ids.append(user.id)
        lead_user = user_service.find_by_email(session=session, email=lead)
        ev.assign_evaluators(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
            user_ids=ids,
            lead_id=lead_user.id if lead_user else None,
        )
    click.echo(f"Évaluateurs de {tender_ref} : {', '.join(emails)} (principal : {lead})")


def _score_command(name: str, text_option: str, text_help: str, service, done: str):
    @evaluation_group.command(name, help=f"{done} pour une offre et un critère.")
    @tender_arg
    @click.argument("offer")
    @click.option("--criterion", required=True, help="Nom du critère (tel qu'au RC).")
    @click.option("--score", required=True, help="Note.")
    @click.option(f"--{text_option}", "text", required=True, help=text_help)
    @as_option
    @confirm_as_option
    @domain_errors
    def command(tender_ref, offer, criterion, score, text, as_email, confirm_as):
        with cli_session() as session:
            actor = resolve_actor(
                session,
                as_email,
                "evaluator",
                approval=name == "final",  # the lead's consensus is a sign-off
                confirmed=confirm_as,
            )
            tender = tenders.tender_by_reference(session=session, reference=tender_ref)
            target = _offer(session, tender, offer)
            service(
                session=session,
                actor=actor,
                tender_id=tender.id,
                offer_id=target.id,
                entries={criterion: {"score": score, text_option: text}},
            )
        click.echo(f"{done} : {target.supplier_name} / {criterion} = {score}")

    return command


_score_command("score", "comment", "Commentaire (obligatoire).", ev.save_scores, "Note enregistrée")
_score_command(
    "final",
    "justification",
    "Justification (obligatoire).",
    ev.save_final_scores,
    "Note finale enregistrée",
)


@evaluation_group.command(
    "submit", help="Soumettre ses notes (toutes les offres sur tous les critères)."
)
@tender_arg
@as_option
@confirm_as_option
@domain_errors
def submit(tender_ref, as_email, confirm_as):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "evaluator", approval=True, confirmed=confirm_as)
        ev.submit_scores(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
        )
    click.echo("Notes soumises.")


@evaluation_group.command(
    "scores",
    help="Afficher les notes visibles par l'utilisateur, les propositions et les notes finales.",
)
@tender_arg
@as_option
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def scores(tender_ref, as_email, as_json):
    with cli_session() as session:
        actor = resolve_actor(session, as_email)
        view = ev.overview(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
        )
        names = {o.id: o.supplier_name for o in view["offers"]}
        data = {
            "scores": [
                {
                    "offer": names[s.offer_id],
                    "evaluator": view["people"][s.user_id].email,
                    "criterion": s.criterion,
                    "score": s.score,
                    "comment": s.comment,
                }
                for s in view["scores"]
            ],
            "proposals": [
                {"offer": names[oid], "criterion": c, **p}
                for oid, props in view["proposals"].items()
                for c, p in props.items()
            ],
            "finals": [
                {
                    "offer": names[oid],
                    "criterion": c,
                    "score": f.score,
                    "justification": f.justification,
                }
                for (oid, c), f in view["finals"].items()
            ],
        }
    if as_json:
        echo_json(data)
        return
    for kind, rows in data.items():
        click.echo(f"[{kind}]")
        for r in rows:
            click.echo(
                "  "
                + " · ".join(
                    format_number(v, 2) if isinstance(v, float) else str(v) for v in r.values()
                )
            )


@evaluation_group.command("lock", help="Verrouiller l'évaluation (évaluateur principal).")
@tender_arg
@as_option
@confirm_as_option
@domain_errors
def lock(tender_ref, as_email, confirm_as):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "evaluator", approval=True, confirmed=confirm_as)
        ev.lock(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
        )
    click.echo("Évaluation verrouillée.")


@evaluation_group.command("unlock", help="Déverrouiller l'évaluation, avec un motif.")
@tender_arg
@click.option("--reason", required=True, help="Motif (obligatoire).")
@as_option
@confirm_as_option
@domain_errors
def unlock(tender_ref, reason, as_email, confirm_as):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, approval=True, confirmed=confirm_as)
        ev.unlock(
            session=session,
            actor=actor,
            tender_id=tenders.tender_by_reference(session=session, reference=tender_ref).id,
            reason=reason,
        )
    click.echo("Évaluation déverrouillée.")


@evaluation_group.command(
    "ranking", help="Classement selon les pondérations du RC (ex æquo signalés)."
)
@tender_arg
@as_option
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def ranking(tender_ref, as_email, as_json):
    with cli_session() as session:
        tender = tenders.tender_by_reference(session=session, reference=tender_ref)
        view = ev.overview(
            session=session, actor=resolve_actor(session, as_email), tender_id=tender.id
        )
        rows = [
            {
                "lot": lot["lot"],
                "rank": r["rank"],
                "tied": r["tied"],
                "supplier": r["offer"].supplier_name,
                "total": r["total"],
            }
            for lot in view["ranking"]
            for r in lot["rows"]
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(
            f"{r['lot'] or '-':<4} {r['rank']:>3}{' ex æquo' if r['tied'] else '        '}  {r['supplier']:<32} {format_number(r['total'], 2)}"
        )


@evaluation_group.command("report", help="Exporter le rapport d'analyse des offres (DOCX ou ODT).")
@tender_arg
@click.option(
    "--format", "fmt", type=click.Choice(["docx", "odt"]), default="docx", show_default=True
)
@click.option(
    "--output-dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Copier aussi le rapport dans ce dossier (il est toujours rangé avec les pièces du marché).",
)
@as_option
@domain_errors
def report(tender_ref, fmt, output_dir, as_email):
    with cli_session() as session:
        tender = tenders.tender_by_reference(session=session, reference=tender_ref)
        actor = resolve_actor(session, as_email)
        doc, path = ev.export_report(
            session=session, actor=actor, tender_id=tender.id, fmt=fmt, store=resources().documents
        )
    if output_dir:
        Path(output_dir).mkdir(parents=True, exist_ok=True)
        path = Path(shutil.copy2(path, Path(output_dir) / path.name))
    click.echo(f"Rapport écrit : {path} (SHA-256 {doc.sha256})")


GROUPS = [footprint_group, evaluation_group]
