"""The sourcing room's pages: search, import, jobs, suppliers, merges, shortlists."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, request, send_file, url_for

from procure.core import jobs
from procure.core.errors import ValidationError
from procure.suppliers import services as svc
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session
from sourcing.ingest import BUYER_COLUMNS, FORMATS
from sourcing.models import SIZES
from sourcing.search import COMPONENTS

bp = Blueprint("sourcing", __name__, url_prefix="/sourcing")
ROLES = ("sourcing", "admin")


def _model():
    model = current_app.extensions["procure.model"].get()
    svc.register_model(current_app.config["INSTANCE_PATH"], model)
    return model


def _model_params() -> dict:
    cfg = current_app.config
    return {
        "instance_path": cfg["INSTANCE_PATH"],
        "model_path": cfg.get("MODEL_PATH"),
        "model_url": cfg.get("MODEL_URL"),
        "model_name": cfg.get("MODEL_NAME"),
    }


def _page(status: int = 200, **ctx):
    session = db_session()
    base = dict(
        stats=svc.stats(session=session),
        searches=svc.recent_searches(session=session),
        sizes=SIZES,
        form={},
        errors={},
        record=None,
        components=COMPONENTS,
        formats=svc.FORMAT_LABELS,
        buyer_columns=BUYER_COLUMNS,
        jobs=jobs.recent_jobs(session=session, kind_prefix="sourcing.", limit=5),
    )
    base.update(ctx)
    return render("sourcing/index.html", "sourcing/_results.html", status=status, **base)


@bp.route("/")
@roles_required(*ROLES)
def index():
    search_id = request.args.get("recherche", type=int)
    record = svc.get_search(session=db_session(), search_id=search_id) if search_id else None
    form = {"need": record.need, **record.filters} if record else {}
    return _page(record=record, form=form)


@bp.route("/recherche", methods=["POST"])
@roles_required(*ROLES)
def search():
    form = request.form
    try:
        record = svc.search(
            session=db_session(),
            actor=current_actor(),
            model=_model(),
            uri=current_app.config["LANCEDB_URI"],
            need=form.get("need", ""),
            cpv=form.get("cpv", "").strip(),
            department=form.get("departement", "").strip(),
            size=form.get("taille", ""),
            certifications=[
                c.strip() for c in form.get("certifications", "").split(",") if c.strip()
            ],
            limit=form.get("limit", 10, type=int) or 10,
        )
    except ValidationError as exc:
        return _page(status=422, form=form, errors=exc.fields, error=exc.message)
    if request.headers.get("HX-Request"):
        return _page(record=record, form=form)
    return redirect(url_for("sourcing.index", recherche=record.id))


@bp.route("/recherche/<int:search_id>/jugement", methods=["POST"])
@roles_required(*ROLES)
def judge(search_id: int):
    k = request.form.get("k", 3, type=int)
    svc.get_search(session=db_session(), search_id=search_id)
    job = jobs.submit(
        session=db_session(),
        queue=current_app.extensions["procure.jobs"],
        actor=current_actor(),
        kind="sourcing.judge",
        params={**_model_params(), "search_id": search_id, "k": k},
        label=f"Jugement des {k} premiers (recherche n° {search_id})",
    )
    _model()
    return redirect(url_for("sourcing.job", job_id=job.id))


@bp.route("/import", methods=["POST"])
@roles_required(*ROLES)
def upload():
    upload_file = request.files.get("fichier")
    fmt = request.form.get("format", "")
    errors = {}
    if fmt not in FORMATS:
        errors["format"] = "Choisissez le format du fichier."
    if not upload_file or not upload_file.filename:
        errors["fichier"] = "Choisissez un fichier."
    if errors:
        return _page(
            status=422, errors=errors, error="Import impossible : corrigez les champs signalés."
        )
    data = upload_file.read()
    if not data:
        return _page(
            status=422,
            errors={"fichier": f"{upload_file.filename} est vide."},
            error="Import impossible : le fichier est vide.",
        )
    path = svc.save_upload(
        upload_dir=current_app.config["INSTANCE_PATH"], filename=upload_file.filename, data=data
    )
    job = jobs.submit(
        session=db_session(),
        queue=current_app.extensions["procure.jobs"],
        actor=current_actor(),
        kind="sourcing.import",
        params={
            "path": path,
            "format": fmt,
            "filename": upload_file.filename,
            "delete_after": True,
        },
        label=f"Import {upload_file.filename}",
    )
    return redirect(url_for("sourcing.job", job_id=job.id))


@bp.route("/index", methods=["POST"])
@roles_required(*ROLES)
def reindex():
    _model()
    cfg = current_app.config
    job = jobs.submit(
        session=db_session(),
        queue=current_app.extensions["procure.jobs"],
        actor=current_actor(),
        kind="sourcing.index",
        params={
            **_model_params(),
            "uri": cfg["LANCEDB_URI"],
            "rebuild": request.form.get("rebuild") == "1",
        },
        label="Index des fournisseurs",
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
    s, contracts, names = svc.get_supplier(session=db_session(), supplier_id=supplier_id)
    return render(
        "sourcing/supplier.html",
        supplier=s,
        contracts=contracts,
        names=names,
        signals=svc.signals(contracts),
        label=svc.label(s),
    )


@bp.route("/fusions")
@roles_required(*ROLES)
def merges():
    session = db_session()
    return render(
        "sourcing/merges.html",
        proposals=svc.merge_proposals(session=session, status=None),
        label=svc.label,
    )


@bp.route("/fusions/<int:proposal_id>", methods=["POST"])
@roles_required(*ROLES)
def merge_decide(proposal_id: int):
    m = svc.decide_merge(
        session=db_session(),
        actor=current_actor(),
        proposal_id=proposal_id,
        decision=request.form.get("decision", ""),
    )
    flash(
        {
            "merged": "Fusion effectuée.",
            "rejected": "Proposition rejetée.",
            "undone": "Fusion annulée.",
        }.get(m.status, "Décision enregistrée."),
        "success",
    )
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
        record = svc.get_search(session=db_session(), search_id=search_id)
        return _page(
            status=422,
            record=record,
            form={"need": record.need, **record.filters},
            errors=exc.fields,
            error=exc.message,
        )
    flash("Présélection créée.", "success")
    return redirect(url_for("sourcing.shortlist", shortlist_id=sl.id))


@bp.route("/preselections")
@roles_required(*ROLES)
def shortlists():
    return render("sourcing/shortlists.html", shortlists=svc.list_shortlists(session=db_session()))


@bp.route("/preselections/<int:shortlist_id>")
@roles_required(*ROLES)
def shortlist(shortlist_id: int):
    sl, items, record = svc.get_shortlist(session=db_session(), shortlist_id=shortlist_id)
    return render(
        "sourcing/shortlist.html", shortlist=sl, items=items, record=record, label=svc.label
    )


@bp.route("/preselections/<int:shortlist_id>.csv")
@roles_required(*ROLES)
def shortlist_csv(shortlist_id: int):
    body = svc.shortlist_csv(session=db_session(), shortlist_id=shortlist_id)
    return Response(
        "\ufeff" + body,
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f"attachment; filename=preselection-{shortlist_id}.csv"},
    )


@bp.route("/preselections/<int:shortlist_id>.docx")
@roles_required(*ROLES)
def shortlist_docx(shortlist_id: int):
    path = svc.shortlist_docx(
        session=db_session(),
        actor=current_actor(),
        shortlist_id=shortlist_id,
        export_dir=current_app.config["EXPORT_PATH"],
    )
    return send_file(path, as_attachment=True, download_name=path.name)


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
