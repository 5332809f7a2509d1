"""`procure suppliers ...`, `procure sourcing ...` and `procure index`: the sourcing room's CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from procure.core import jobs
from procure.core.errors import DomainError, ValidationError
from procure.core.formatting import format_number
from procure.suppliers import services as svc
from procure.web import cli_support as common
from procure.web.cli_support import (
    FRENCH_INT,
    as_option,
    cli_session,
    domain_errors,
    echo_json,
    resolve_actor,
)
from sourcing.ingest import FORMATS
from sourcing.search import COMPONENT_LABELS


def _run_job(*, actor, kind: str, params: dict, label: str, bar: str | None) -> dict:
    """Run a sourcing job inline with the app's resources (and a progress bar unless `bar` is
    None); its result, or its French failure message as a domain error."""
    hook, close = common.progress_bar(bar) if bar else (None, lambda: None)
    try:
        job = jobs.run_inline(
            engine=common.engine(),
            actor=actor,
            kind=kind,
            params=params,
            resources=common.resources(),
            label=label,
            progress_hook=hook,
        )
    finally:
        close()
    if job.status != "done":
        raise DomainError(job.message or "La tâche a échoué.")
    return job.result


@click.group(
    "suppliers", cls=AppGroup, help="Fournisseurs : importer, rapprocher des noms, fusionner."
)
def suppliers() -> None:
    pass


@suppliers.command(
    "import", help="Importer un fichier DECP (JSON v1/v2), SIRENE (CSV) ou une liste CSV."
)
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format", "fmt", required=True, type=click.Choice(FORMATS), help="Format du fichier."
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@as_option
@domain_errors
def import_(path: Path, fmt: str, as_json: bool, as_email: str | None):
    if not path.exists():
        raise ValidationError(f"Fichier introuvable : {path}.", fields={"PATH": str(path)})
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "sourcing", "admin")
    r = _run_job(
        actor=actor,
        kind="sourcing.import",
        params={"path": str(path.resolve()), "format": fmt, "filename": path.name},
        label=f"Import {path.name}",
        bar=None if as_json else "Import",
    )
    if as_json:
        echo_json(r)
        return
    click.echo(
        f"{path.name} : {r['read']} lus, {r['created']} créés, {r['updated']} mis à jour, "
        f"{r['unchanged']} inchangés, {r['rejected']} rejetés."
    )
    for row in r["rejected_rows"]:
        click.echo(f"  rejeté, {row['position']} : {row['reason']}")
    if r.get("merge_proposals"):
        click.echo(
            f"{r['merge_proposals']} proposition(s) de fusion à examiner (procure suppliers merges)."
        )


@suppliers.command("match", help="Fournisseurs connus dont le nom ressemble à NAME, avec un score.")
@click.argument("name")
@click.option("--departement", default="", help="Département, pour départager (ex. 75).")
@click.option("--limit", default=10, show_default=True, type=FRENCH_INT)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def match(name: str, departement: str, limit: int, as_json: bool):
    with cli_session() as session:
        rows = svc.match_name(session=session, name=name, department=departement, limit=limit)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        score = format_number(r["score"], 1)
        click.echo(f"{score:>6}  {r['siren'] or '—':<9}  {r['name']}  {r['department']}")
    if not rows:
        click.echo("Aucun fournisseur ressemblant.")


@suppliers.command("merges", help="Lister les propositions de fusion en attente.")
@click.option("--json", "as_json", is_flag=True)
def merges(as_json: bool):
    with cli_session() as session:
        rows = [
            {
                "id": m.id,
                "source": svc.label(s),
                "target": svc.label(t),
                "target_siren": t.siren,
                "score": m.score,
                "status": m.status,
            }
            for m, s, t in svc.merge_proposals(session=session)
        ]
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        score = format_number(r["score"], 1)
        click.echo(
            f"#{r['id']:<4} {score:>5}  {r['source']}  ->  {r['target']} "
            f"({r['target_siren'] or 'sans SIREN'})"
        )


@suppliers.command("merge", help="Décider d'une proposition de fusion : accept, reject ou undo.")
@click.argument("proposal_id", type=int)
@click.argument("decision", type=click.Choice(["accept", "reject", "undo"]))
@as_option
@domain_errors
def merge(proposal_id: int, decision: str, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "sourcing", "admin")
        m = svc.decide_merge(
            session=session, actor=actor, proposal_id=proposal_id, decision=decision
        )
    click.echo(f"Proposition #{m.id} : {m.status}.")


@click.command(
    "index",
    help="Mettre à jour l'index LanceDB des fournisseurs (ne revectorise que ce qui a changé).",
)
@click.option("--rebuild", is_flag=True, help="Reconstruire l'index entier depuis la base.")
@click.option("--json", "as_json", is_flag=True)
@as_option
@with_appcontext
@domain_errors
def index(rebuild: bool, as_json: bool, as_email: str | None):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "sourcing", "admin")
    r = _run_job(
        actor=actor,
        kind="sourcing.index",
        params={"rebuild": rebuild},
        label="Index des fournisseurs",
        bar=None if as_json else "Index",
    )
    if as_json:
        echo_json(r)
    else:
        click.echo(
            f"Index à jour : {r['suppliers']} fournisseurs, {r['embedded']} vectorisés, "
            f"{r['removed']} retirés{', index ANN construit' if r['ann'] else ''}."
        )
        if r.get("embedded") and r.get("texts_per_second"):
            click.echo(
                f"Vectorisation : {format_number(r['texts_per_second'], 1)} textes/s "
                f"({format_number(r['embed_seconds'], 1)} s)."
            )


@click.group(
    "sourcing", cls=AppGroup, help="Sourcing : chercher et présélectionner des fournisseurs."
)
def sourcing() -> None:
    pass


@sourcing.command(
    "search", help="Chercher des fournisseurs pour un besoin (recherche hybride et score expliqué)."
)
@click.argument("need")
@click.option("--cpv", default="", help="Préfixe CPV (ex. 72 ou 7226).")
@click.option("--departement", default="", help="Département (ex. 75, 2A, 971).")
@click.option("--size", default="", type=click.Choice(["", "PME", "ETI", "GE"]), help="Taille.")
@click.option(
    "--certification", "certifications", multiple=True, help="Certification voulue (répétable)."
)
@click.option("--limit", default=10, show_default=True, type=FRENCH_INT)
@click.option(
    "--judge", default=0, type=FRENCH_INT, help="Faire juger les K premiers par le modèle local."
)
@click.option("--json", "as_json", is_flag=True)
@as_option
@domain_errors
def search(need, cpv, departement, size, certifications, limit, judge, as_json, as_email):
    resources = common.resources()
    model = svc.available_model(resources.model)
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "sourcing", "admin")
        record = svc.search(
            session=session,
            actor=actor,
            model=model,
            uri=resources.settings["LANCEDB_URI"],
            need=need,
            cpv=cpv,
            department=departement,
            size=size,
            certifications=list(certifications),
            limit=limit,
            judge=judge,
        )
        data = svc.search_json(record)
    if data["notice"]:
        click.echo(data["notice"], err=True)
    if as_json:
        echo_json(data)
        return
    classes = ", ".join(f"{c['code']} {c['label']}" for c in data["cpv_classes"]) or "aucune"
    click.echo(f"Recherche n° {data['id']} · classes CPV du besoin : {classes}")
    if data.get("coverage") is not None:
        click.echo(
            "Couverture du besoin par les marchés connus (modèle) : "
            f"{format_number(data['coverage'], 2)} (0 à 1, la même pour chaque résultat)"
        )
    if data["no_match"]:
        threshold = format_number(data["no_match_threshold"], 0)
        click.echo(
            f"Aucun fournisseur pertinent dans les données (aucun score ≥ {threshold} sur 100)."
        )
    labels = COMPONENT_LABELS
    for i, r in enumerate(data["results"], 1):
        comps = ", ".join(
            f"{labels.get(k, k)} {format_number(v, 2)}" for k, v in r["components"].items()
        )
        score = format_number(r["score"], 2)
        click.echo(f"{i:>2}. {score:>6}  {r['name']} ({r['siren'] or 'sans SIREN'})  [{comps}]")
        for e in r["evidence"][:2]:
            lots = f" ({e['lots']} lots)" if e.get("lots", 1) > 1 else ""
            click.echo(
                f"       {e.get('date_fr') or e['date']} {e['buyer']} : {e['object'][:90]}{lots}"
                f" · {e.get('amount_fr') or 'montant inconnu'}"
            )
        for s in r["signals"]:
            click.echo(f"       signal : {s}")
        if r.get("judgement"):
            j = r["judgement"]
            click.echo(
                f"       avis du modèle : {j['fit']}/4"
                + (" · INSTRUCTIONS SUSPECTES" if j["injection_flags"] else "")
            )


@sourcing.command(
    "shortlist", help="Créer une présélection depuis une recherche (SIREN ou id des fournisseurs)."
)
@click.argument("search_id", type=int)
@click.argument("suppliers_", nargs=-1, required=True, metavar="SIREN_OU_ID...")
@click.option("--title", default="")
@click.option(
    "--csv", "csv_path", type=click.Path(dir_okay=False, path_type=Path), help="Écrire le CSV ici."
)
@click.option(
    "--docx",
    "docx_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Écrire le rapport DOCX ici.",
)
@as_option
@domain_errors
def shortlist(search_id, suppliers_, title, csv_path, docx_path, as_email):
    with cli_session() as session:
        actor = resolve_actor(session, as_email, "sourcing", "admin")
        sl = svc.shortlist_from_tokens(
            session=session, actor=actor, search_id=search_id, tokens=list(suppliers_), title=title
        )
        count = len(svc.get_shortlist(session=session, shortlist_id=sl.id)[1])
        if csv_path:
            csv_path.write_text(
                svc.shortlist_csv(session=session, shortlist_id=sl.id), encoding="utf-8"
            )
        if docx_path:
            stored = svc.shortlist_docx(
                session=session,
                actor=actor,
                shortlist_id=sl.id,
                store=common.resources().documents,
            )
            shutil.copyfile(stored, docx_path)
    click.echo(f"Présélection n° {sl.id} créée ({count} fournisseur(s)).")


@sourcing.command(
    "evaluate", help="Mesurer la qualité de la recherche sur des marchés DECP mis de côté."
)
@click.option("--decp", "decp_path", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option(
    "--holdout",
    default=0,
    type=FRENCH_INT,
    help="Nombre maximal de recherches (0 : tous les marchés des acheteurs mis de côté).",
)
@click.option("--seed", default=1, show_default=True, type=FRENCH_INT)
@click.option(
    "--split",
    default="report",
    show_default=True,
    type=click.Choice(["tune", "report"]),
    help="Acheteurs de réglage (tune) ou de mesure (report).",
)
@click.option(
    "--judge-pairs",
    default=0,
    type=FRENCH_INT,
    help="Mesurer aussi l'avis du modèle sur N paires (pertinent, non pertinent).",
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Fichier SQLite où garder les vecteurs calculés (réutilisés à l'exécution suivante).",
)
@click.option("--json", "as_json", is_flag=True)
@domain_errors
def evaluate(decp_path, holdout, seed, split, judge_pairs, cache_path, as_json):
    import tempfile

    from sourcing import evaluate as ev
    from sourcing.embcache import CachedEmbedder

    model = common.resources().model.get()
    if cache_path:
        model = CachedEmbedder(model, cache_path)
    hook, close = common.progress_bar("Évaluation") if not as_json else (None, lambda: None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            ctx = ev.prepare(
                decp_path.read_bytes(),
                model=model,
                workdir=tmp,
                split=split,
                holdout=holdout or None,
                seed=seed,
                progress=hook,
            )
            report = ev.measure(ctx, progress=hook)
            if judge_pairs:
                report["judge"] = ev.judge_auc(ctx, model=model, pairs=judge_pairs, seed=seed)
    finally:
        close()
    if as_json:
        echo_json(report)
        return
    click.echo(
        f"Acheteurs « {split} » : {report['queries']} recherches, "
        f"{report['suppliers']} fournisseurs indexés."
    )
    for mode, m in report["modes"].items():
        click.echo(
            f"  {mode:<34} nDCG@10 {format_number(m['ndcg@10'], 3)}  "
            f"recall@10 {format_number(m['recall@10'], 3)}  MRR@10 {format_number(m['mrr@10'], 3)}"
            f"  gagnant@10 {format_number(m['winner@10'], 3)}"
        )
    for name, nm in report["no_match_set"].items():
        click.echo(
            f"  sans réponse attendue ({name}) : {nm['wrongly_confident']} sur {nm['needs']} "
            f"besoins reçoivent un résultat confiant ({format_number(100 * nm['wrongly_confident_share'], 1)} %)"
        )
    if "judge" in report:
        j = report["judge"]
        click.echo(
            f"  avis du modèle : AUC {format_number(j['auc'], 3)} sur {j['pairs']} paires, "
            f"{format_number(j['seconds_per_judgement_median'], 2)} s par avis (médiane)"
        )


GROUPS = [suppliers, sourcing, index]
