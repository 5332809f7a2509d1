"""The sourcing room's pages: search, import, jobs, suppliers, merges, shortlists."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, request, url_for

from procure.core import jobs
from procure.core.errors import ValidationError
from procure.suppliers import services as svc
from procure.web.files import document_store, send_document
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session
from sourcing.ingest import BUYER_COLUMNS
from sourcing.judge import note as judge_note
from sourcing.models import SIZES
from sourcing.search import COMPONENTS, DEFAULT_WEIGHTS

bp = Blueprint("sourcing", __name__, url_prefix="/sourcing")
ROLES = ("sourcing", "admin")
MERGE_MESSAGES = {
    "merged": "Fusion effectuée.",
    "rejected": "Proposition rejetée.",
    "undone": "Fusion annulée.",
}


def _page(context: dict, status: int = 200, **extra) -> Response:
    """The sourcing page (or its results fragment for htmx) from `svc.overview`'s context."""
    page = {
        "sizes": SIZES,
        "components": COMPONENTS,
        "judge_note": judge_note(),
        "model_state": current_app.extensions["procure.model"].state,
        "formats": svc.FORMAT_LABELS,
        "buyer_columns": BUYER_COLUMNS,
        "errors": {},
        "error_at": "",
        "import_form": {},
        "held": None,
    }
    return render(
        "sourcing/index.html", "sourcing/_results.html", status=status, **(page | context | extra)
    )


def _queue() -> jobs.JobQueue:
    return current_app.extensions["procure.jobs"]


@bp.route("/")
@roles_required(*ROLES)
def index():
    search_id = request.args.get("recherche", type=int)
    return _page(svc.overview(session=db_session(), search_id=search_id))


@bp.route("/recherche", methods=["POST"])
@roles_required(*ROLES)
def search():
    form = request.form
    try:
        record = svc.search(
            session=db_session(),
            actor=current_actor(),
            model=svc.available_model(current_app.extensions["procure.model"]),
            uri=current_app.config["LANCEDB_URI"],
            need=form.get("need", ""),
            cpv=form.get("cpv", "").strip(),
            department=form.get("departement", "").strip(),
            size=form.get("taille", ""),
            certifications=[
                c.strip() for c in form.get("certifications", "").split(",") if c.strip()
            ],
            limit=form.get("limit", ""),
        )
    except ValidationError as exc:
        return _page(
            svc.overview(session=db_session()),
            status=422,
            form=form,
            errors=exc.fields,
            error=exc.message,
            error_at="search",
        )
    if request.headers.get("HX-Request"):
        return render(
            "sourcing/_results.html",
            record=record,
            form=form,
            errors={},
            components=COMPONENTS,
            judge_note=judge_note(),
        )
    return redirect(url_for("sourcing.index", recherche=record.id))


@bp.route("/recherche/<int:search_id>/jugement", methods=["POST"])
@roles_required(*ROLES)
def judge(search_id: int):
    job = svc.submit_judge(
        session=db_session(),
        queue=_queue(),
        actor=current_actor(),
        search_id=search_id,
        k=request.form.get("k", ""),
    )
    return redirect(url_for("sourcing.job", job_id=job.id))


@bp.route("/import", methods=["POST"])
@roles_required(*ROLES)
def upload():
    upload_file = request.files.get("fichier")
    filename = (upload_file.filename or "") if upload_file else ""
    try:
        job = svc.submit_import(
            session=db_session(),
            queue=_queue(),
            actor=current_actor(),
            upload_dir=current_app.config["INSTANCE_PATH"],
            fmt=request.form.get("format", ""),
            filename=filename,
            data=upload_file.read() if upload_file and filename else b"",
            held_token=request.form.get("fichier_conserve", ""),
        )
    except svc.UploadRefused as exc:
        return _page(
            svc.overview(session=db_session()),
            status=422,
            errors=exc.fields,
            error=exc.message,
            error_at="import",
            import_form=request.form,
            held=exc.held,
        )
    return redirect(url_for("sourcing.job", job_id=job.id))


@bp.route("/index", methods=["POST"])
@roles_required(*ROLES)
def reindex():
    job = svc.submit_index(
        session=db_session(),
        queue=_queue(),
        actor=current_actor(),
        rebuild=request.form.get("rebuild") == "1",
    )
    return redirect(url_for("sourcing.job", job_id=job.id))


@bp.route("/taches/<int:job_id>")
@roles_required(*ROLES)
def job(job_id: int):
    j = jobs.get_job(session=db_session(), job_id=job_id)
    return render("sourcing/job.html", "sourcing/_job.html", job=j)


@bp.route("/fournisseurs/<int:supplier_id>")
@roles_required(*ROLES)
def supplier(supplier_id: int):
    profile = svc.supplier_profile(session=db_session(), supplier_id=supplier_id)
    return render("sourcing/supplier.html", **profile)


@bp.route("/fusions")
@roles_required(*ROLES)
def merges():
    pager = svc.merges_page(session=db_session(), page=request.args.get("page", 1, type=int))
    return render("sourcing/merges.html", proposals=pager.items, pager=pager, label=svc.label)


@bp.route("/fusions/<int:proposal_id>", methods=["POST"])
@roles_required(*ROLES)
def merge_decide(proposal_id: int):
    m = svc.decide_merge(
        session=db_session(),
        actor=current_actor(),
        proposal_id=proposal_id,
        decision=request.form.get("decision", ""),
    )
    flash(MERGE_MESSAGES.get(m.status, "Décision enregistrée."), "success")
    return redirect(url_for("sourcing.merges"))


@bp.route("/preselections", methods=["POST"])
@roles_required(*ROLES)
def shortlist_create():
    form = request.form
    search_id = form.get("search_id", type=int) or 0
    try:
        sl = svc.create_shortlist(
            session=db_session(),
            actor=current_actor(),
            search_id=search_id,
            supplier_ids=[int(x) for x in form.getlist("supplier_ids") if x.isdigit()],
            title=form.get("title", ""),
        )
    except ValidationError as exc:
        return _page(
            svc.overview(session=db_session(), search_id=search_id),
            status=422,
            errors=exc.fields,
            error=exc.message,
            error_at="shortlist",
        )
    flash("Présélection créée.", "success")
    return redirect(url_for("sourcing.shortlist", shortlist_id=sl.id))


@bp.route("/preselections")
@roles_required(*ROLES)
def shortlists():
    pager = svc.shortlists_page(session=db_session(), page=request.args.get("page", 1, type=int))
    return render("sourcing/shortlists.html", shortlists=pager.items, pager=pager)


@bp.route("/preselections/<int:shortlist_id>")
@roles_required(*ROLES)
def shortlist(shortlist_id: int):
    sl, items, record = svc.get_shortlist(session=db_session(), shortlist_id=shortlist_id)
    return render(
        "sourcing/shortlist.html",
        shortlist=sl,
        items=items,
        record=record,
        label=svc.label,
        component_text=svc.component_text,
        weights=record.weights if record else DEFAULT_WEIGHTS,
    )


@bp.route("/preselections/<int:shortlist_id>.csv")
@roles_required(*ROLES)
def shortlist_csv(shortlist_id: int):
    body = svc.shortlist_csv(session=db_session(), shortlist_id=shortlist_id)
    return Response(
        body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=preselection-{shortlist_id}.csv"},
    )


@bp.route("/preselections/<int:shortlist_id>/rapport", methods=["POST"])
@roles_required(*ROLES)
def shortlist_report(shortlist_id: int):
    """Write a new sourcing report (audited), then send the browser to download it."""
    svc.shortlist_docx(
        session=db_session(),
        actor=current_actor(),
        shortlist_id=shortlist_id,
        store=document_store(),
    )
    return redirect(url_for("sourcing.shortlist_docx", shortlist_id=shortlist_id))


@bp.route("/preselections/<int:shortlist_id>.docx")
@roles_required(*ROLES)
def shortlist_docx(shortlist_id: int):
    """Download the last report written (a GET changes nothing and writes no audit event)."""
    path = svc.latest_shortlist_docx(
        session=db_session(), shortlist_id=shortlist_id, store=document_store()
    )
    return send_document(svc.DOCUMENT_KIND, shortlist_id, path.name, "docx")


@bp.route("/correspondance")
@roles_required(*ROLES)
def match():
    name = request.args.get("nom", "").strip()
    rows = (
        svc.match_name(
            session=db_session(), name=name, department=request.args.get("departement", "")
        )
        if name
        else []
    )
    return render("sourcing/match.html", rows=rows, name=name)
