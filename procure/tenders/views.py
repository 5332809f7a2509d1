"""The tenders room: describe a tender, assemble its clauses, check compliance, export the pieces."""

from __future__ import annotations

from flask import Blueprint, flash, request, url_for

from procure.clause_library.services import COVERS
from procure.core.errors import Conflict, NotFound, ValidationError
from procure.tenders import legal, rules
from procure.tenders import services as svc
from procure.web.files import document_store, send_document
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session

bp = Blueprint("tenders", __name__, url_prefix="/tenders")

ROOM = ("Marchés", "/tenders/")
CHOICES = {
    "procedures": svc.PROCEDURES,
    "kinds": svc.CRITERION_KINDS,
    "methods": svc.METHODS,
    "pieces": svc.PIECES,
    "formats": svc.FORMATS,
    "max_criteria": svc.MAX_CRITERIA,
    "buyer_kinds": svc.BUYER_KINDS,
    "sub_metrics": svc.SUB_METRICS,
    "max_sub_criteria": svc.MAX_SUB_CRITERIA,
}


def _fix_url(tender, finding) -> str:
    fix = finding.fix or {}
    target = fix.get("target")
    if target == "edit":
        return url_for("tenders.edit", tender_id=tender.id) + "#" + fix.get("anchor", "")
    if target == "clause":
        return url_for("tenders.clause", tender_id=tender.id, link_id=fix["link_id"]) + (
            f"#v-{fix['field']}" if fix.get("field") else ""
        )
    if target == "library":
        return (
            url_for("tenders.show", tender_id=tender.id, subject=fix.get("subject", "")) + "#ajout"
        )
    return url_for("tenders.show", tender_id=tender.id) + "#clauses"


def _conflict(exc: Conflict, tender_id: int):
    return render(
        "tenders/conflict.html",
        status=409,
        message=exc.message,
        changes=(exc.changes or {}).get("events", []),
        tender_id=tender_id,
        breadcrumb=[ROOM, ("Conflit", None)],
    )


def _page(tender_id: int, *, status: int = 200, **extra):
    subject = request.args.get("subject", "")
    page = svc.tender_page(
        session=db_session(), actor=current_actor(), tender_id=tender_id, subject=subject
    )
    tender = page.tender
    return render(
        "tenders/show.html",
        status=status,
        tender=tender,
        rows=page.rows,
        findings=page.findings,
        fix_url=lambda f: _fix_url(tender, f),
        has_errors=page.has_errors,
        library=page.library,
        subject=subject,
        documents=page.documents,
        cpv=page.cpv,
        rules_by_id=rules.RULES_BY_ID,
        breadcrumb=[ROOM, (tender.reference, None)],
        **CHOICES,
        **extra,
    )


@bp.route("/")
@roles_required("buyer")
def index():
    tenders = svc.list_tenders(session=db_session(), actor=current_actor())
    return render(
        "tenders/index.html",
        tenders=tenders,
        procedures=svc.PROCEDURES,
        breadcrumb=[("Marchés", None)],
    )


@bp.route("/rules")
@roles_required("buyer", "legal")
def rules_page():
    return render(
        "tenders/rules.html",
        rules=rules.RULES,
        covers=COVERS,
        buyer_kinds=svc.BUYER_KINDS,
        thresholds=legal.THRESHOLDS_2026,
        threshold_source=legal.THRESHOLD_SOURCE,
        breadcrumb=[ROOM, ("Règles de proposition", None)],
    )


@bp.route("/cpv")
@roles_required("buyer")
def cpv_search():
    q = (request.args.get("q") or request.args.get("cpv_q") or "").strip()
    # Codes ticked before this search stay ticked, above the new results, until unticked.
    picked = svc.cpv_labels(svc.parse_cpv(request.args.getlist("cpv_pick")[:50], {}))
    results = svc.search_cpv(q) if q else []
    return render(
        "tenders/cpv.html",
        "tenders/_cpv_results.html",
        q=q,
        results=results,
        picked=picked,
        breadcrumb=[ROOM, ("Codes CPV", None)],
    )


def _form_page(tender_id: int | None, *, data=None, q="", errors=None, status=200, error=None):
    page = svc.form_page(
        session=db_session(), actor=current_actor(), tender_id=tender_id, data=data, cpv_query=q
    )
    return render(
        "tenders/edit.html",
        status=status,
        tender=page.tender,
        form=page.form,
        errors=errors or {},
        error=error,
        cpv_results=page.cpv_results,
        cpv_q=q,
        cpv_current=page.cpv_current,
        breadcrumb=[ROOM, ((page.tender.reference if page.tender else "Nouveau marché"), None)],
        **CHOICES,
    )


@bp.route("/new", methods=["GET", "POST"])
@roles_required("buyer")
def new():
    if request.method == "GET":
        return _form_page(None)
    data = svc.form_to_data(request.form)
    if request.form.get("action") == "search_cpv":
        return _form_page(None, data=data, q=request.form.get("cpv_q", ""))
    try:
        tender = svc.create_tender(session=db_session(), actor=current_actor(), data=data)
    except ValidationError as exc:
        return _form_page(None, data=data, errors=exc.fields, status=422, error=exc.message)
    except Conflict as exc:
        return _form_page(None, data=data, errors=exc.fields, status=409, error=exc.message)
    flash(f"Marché {tender.reference} créé avec les clauses proposées par les règles.", "success")
    return redirect(url_for("tenders.show", tender_id=tender.id))


@bp.route("/<int:tender_id>")
@roles_required("buyer")
def show(tender_id: int):
    return _page(tender_id)


@bp.route("/<int:tender_id>/edit", methods=["GET", "POST"])
@roles_required("buyer")
def edit(tender_id: int):
    if request.method == "GET":
        return _form_page(tender_id)
    data = svc.form_to_data(request.form)
    if request.form.get("action") == "search_cpv":
        return _form_page(tender_id, data=data, q=request.form.get("cpv_q", ""))
    try:
        svc.update_tender(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            data=data,
            lock_version=request.form.get("lock_version"),
        )
    except ValidationError as exc:
        return _form_page(tender_id, data=data, errors=exc.fields, status=422, error=exc.message)
    except Conflict as exc:
        return _conflict(exc, tender_id)
    flash("Marché enregistré.", "success")
    return redirect(url_for("tenders.show", tender_id=tender_id))


def _mutate(tender_id: int, call, success: str):
    try:
        call()
    except Conflict as exc:
        return _conflict(exc, tender_id)
    except ValidationError as exc:
        return _page(tender_id, status=422, action_error=exc.message, action_fields=exc.fields)
    flash(success, "success")
    return redirect(url_for("tenders.show", tender_id=tender_id) + "#clauses")


@bp.route("/<int:tender_id>/propose", methods=["POST"])
@roles_required("buyer")
def propose(tender_id: int):
    return _mutate(
        tender_id,
        lambda: svc.apply_proposals(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            lock_version=request.form.get("lock_version"),
        ),
        "Les clauses proposées manquantes ont été ajoutées.",
    )


@bp.route("/<int:tender_id>/clauses", methods=["POST"])
@roles_required("buyer")
def clause_add(tender_id: int):
    key = request.form.get("key", "")
    return _mutate(
        tender_id,
        lambda: svc.add_clause(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            key=key,
            lock_version=request.form.get("lock_version"),
        ),
        f"Clause {key} ajoutée.",
    )


@bp.route("/<int:tender_id>/clauses/<int:link_id>/remove", methods=["POST"])
@roles_required("buyer")
def clause_remove(tender_id: int, link_id: int):
    return _mutate(
        tender_id,
        lambda: svc.remove_clause(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            link_id=link_id,
            lock_version=request.form.get("lock_version"),
        ),
        "Clause retirée du marché.",
    )


@bp.route("/<int:tender_id>/clauses/<int:link_id>/move", methods=["POST"])
@roles_required("buyer")
def clause_move(tender_id: int, link_id: int):
    return _mutate(
        tender_id,
        lambda: svc.move_clause(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            link_id=link_id,
            direction=request.form.get("direction", ""),
            lock_version=request.form.get("lock_version"),
        ),
        "Ordre des clauses enregistré.",
    )


def _clause_page(page, *, status=200, errors=None, error=None):
    tender, row = page.tender, page.row
    return render(
        "tenders/clause.html",
        "tenders/_preview.html",
        status=status,
        tender=tender,
        row=row,
        values=page.values,
        variant=page.variant,
        errors=errors or {},
        error=error,
        blocks=page.blocks,
        preview_errors=page.preview_errors,
        diff=page.diff,
        ask=request.args.getlist("ask"),
        breadcrumb=[
            ROOM,
            (tender.reference, url_for("tenders.show", tender_id=tender.id)),
            (row.version.title, None),
        ],
    )


def _posted_values() -> tuple[str | None, dict]:
    values = {k[2:]: v for k, v in request.form.items() if k.startswith("v-")}
    return request.form.get("variant"), values


@bp.route("/<int:tender_id>/clauses/<int:link_id>", methods=["GET", "POST"])
@roles_required("buyer")
def clause(tender_id: int, link_id: int):
    session, actor = db_session(), current_actor()
    ids = {"session": session, "actor": actor, "tender_id": tender_id, "link_id": link_id}
    if request.method == "GET":
        return _clause_page(svc.clause_page(**ids))
    if not actor.has_role("buyer"):
        return _clause_page(
            svc.clause_page(**ids), status=403, error="Seul un acheteur peut modifier les valeurs."
        )
    variant, values = _posted_values()
    if request.form.get("action") == "preview":  # the preview without JavaScript
        return _clause_page(svc.clause_page(**ids, variant=variant, values=values))
    try:
        row = svc.set_clause_values(
            **ids, variant=variant, values=values, lock_version=request.form.get("lock_version")
        )
    except ValidationError as exc:
        page = svc.clause_page(**ids, variant=variant, values=values)
        return _clause_page(page, status=422, errors=exc.fields, error=exc.message)
    except Conflict as exc:
        return _conflict(exc, tender_id)
    flash(f"Valeurs de « {row.version.title} » enregistrées.", "success")
    return redirect(url_for("tenders.show", tender_id=tender_id) + f"#clause-{link_id}")


@bp.route("/<int:tender_id>/clauses/<int:link_id>/preview", methods=["POST"])
@roles_required("buyer")
def clause_preview(tender_id: int, link_id: int):
    variant, values = _posted_values()
    page = svc.clause_page(
        session=db_session(),
        actor=current_actor(),
        tender_id=tender_id,
        link_id=link_id,
        variant=variant,
        values=values,
    )
    return render(
        "tenders/_preview.html",
        blocks=page.blocks,
        preview_errors=page.preview_errors,
        row=page.row,
    )


@bp.route("/<int:tender_id>/clauses/<int:link_id>/upgrade", methods=["POST"])
@roles_required("buyer")
def clause_upgrade(tender_id: int, link_id: int):
    try:
        link, ask = svc.upgrade_clause(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            link_id=link_id,
            lock_version=request.form.get("lock_version"),
        )
    except Conflict as exc:
        return _conflict(exc, tender_id)
    if ask:
        flash(
            "Clause mise à jour. Vérifiez ou complétez les valeurs signalées : elles sont nouvelles ou ne "
            "respectent plus la nouvelle version.",
            "info",
        )
    else:
        flash("Clause mise à jour : toutes les valeurs ont été conservées.", "success")
    return redirect(url_for("tenders.clause", tender_id=tender_id, link_id=link.id, ask=ask))


@bp.route("/<int:tender_id>/check")
@roles_required("buyer")
def check(tender_id: int):
    tender, findings = svc.check_tender(
        session=db_session(), actor=current_actor(), tender_id=tender_id
    )
    return render(
        "tenders/check.html",
        "tenders/_findings.html",
        tender=tender,
        findings=findings,
        fix_url=lambda f: _fix_url(tender, f),
        has_errors=svc.has_errors(findings),
        breadcrumb=[
            ROOM,
            (tender.reference, url_for("tenders.show", tender_id=tender.id)),
            ("Conformité", None),
        ],
    )


@bp.route("/<int:tender_id>/export", methods=["POST"])
@roles_required("buyer")
def export(tender_id: int):
    try:
        doc = svc.export(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            piece=request.form.get("piece", ""),
            fmt=request.form.get("format", ""),
            store=document_store(),
        )
    except ValidationError as exc:
        return _page(tender_id, status=422, export_error=exc.message)
    flash(
        f"{svc.PIECES[doc.piece]} exporté ({doc.format.upper()}) : {doc.filename}, à télécharger "
        "dans le tableau des exports.",
        "success",
    )
    # Back to the page, so the exports table shows the new file (the download is one click).
    return redirect(url_for("tenders.show", tender_id=tender_id, _anchor="documents"))


@bp.route("/<int:tender_id>/documents/<int:document_id>")
@roles_required("buyer")
def document(tender_id: int, document_id: int):
    doc = svc.get_document(
        session=db_session(), actor=current_actor(), tender_id=tender_id, document_id=document_id
    )
    return send_document("tenders", doc.tender_id, doc.filename, doc.format)


@bp.route("/verify", methods=["GET", "POST"])
@roles_required("buyer")
def verify_page():
    """Upload an exported DOCX/ODT: the clause-by-clause report with each edit's word diff."""
    report, errors, status = None, {}, 200
    if request.method == "POST":
        upload = request.files.get("file")
        try:
            report = svc.verify_upload(
                session=db_session(),
                actor=current_actor(),
                filename=upload.filename if upload else "",
                data=upload.read(svc.MAX_VERIFY_BYTES + 1) if upload else b"",
            )
        except ValidationError as exc:
            errors, status = {"file": exc.message}, 422
        except NotFound as exc:  # no export matches: say so beside the field
            errors, status = {"file": exc.message}, 404
    return render(
        "tenders/verify.html",
        status=status,
        report=report,
        errors=errors,
        max_mb=svc.MAX_VERIFY_BYTES // (1024 * 1024),
        breadcrumb=[ROOM, ("Vérifier un document exporté", None)],
    )
