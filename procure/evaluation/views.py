"""Evaluation room: offers, declarations and footprints, scoring, consensus, lock, report."""

from __future__ import annotations

from flask import Blueprint, Response, flash, request, url_for

from procure.core.errors import ValidationError
from procure.evaluation import footprint as fp
from procure.evaluation import scoring, units
from procure.evaluation import services as ev
from procure.web.files import document_store, send_document
from procure.web.htmx import redirect, render
from procure.web.security import current_actor, roles_required
from procure.web.session import db_session

bp = Blueprint("evaluation", __name__, url_prefix="/evaluation")
ROLES = ("evaluator", "buyer")  # admins have no access to evaluations (one tender policy)


@bp.route("/")
@roles_required(*ROLES)
def index():
    pager = ev.evaluation_list(
        session=db_session(), actor=current_actor(), page=request.args.get("page", 1, type=int)
    )
    return render("evaluation/index.html", rows=pager.items, pager=pager)


def _tender_page(
    tender_id: int,
    *,
    status: int = 200,
    form: str = "",
    errors: dict | None = None,
    error: str = "",
    values: dict | None = None,
):
    view = ev.tender_page(session=db_session(), actor=current_actor(), tender_id=tender_id)
    return render(
        "evaluation/tender.html",
        status=status,
        form=form,
        errors=errors or {},
        error=error,
        values=values or {},
        max_score=scoring.max_score,
        method_of=scoring.method_of,
        criterion_text=ev.criterion_text,
        kind_label=scoring.kind_label,
        u=units,
        **view,
    )


@bp.route("/<int:tender_id>")
@roles_required(*ROLES)
def tender(tender_id: int):
    return _tender_page(tender_id)


@bp.route("/<int:tender_id>/offers", methods=["POST"])
@roles_required("buyer")
def offer_add(tender_id: int):
    f = request.form
    try:
        offer = ev.add_offer(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            supplier_name=f.get("supplier_name", ""),
            siren=f.get("siren", ""),
            lot=f.get("lot", ""),
            price=f.get("price", ""),
            documents=f.get("documents", ""),
        )
    except ValidationError as exc:
        return _tender_page(
            tender_id, status=422, form="offer", errors=exc.fields, error=exc.message, values=f
        )
    flash(f"Offre de {offer.supplier_name} enregistrée.", "success")
    return redirect(url_for("evaluation.offer", offer_id=offer.id))


@bp.route("/<int:tender_id>/declaration-template.<fmt>")
@roles_required(*ROLES)
def declaration_template(tender_id: int, fmt: str):
    body, mimetype, filename = ev.declaration_template(
        session=db_session(), actor=current_actor(), tender_id=tender_id, fmt=fmt
    )
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _offer_page(
    offer_id: int,
    *,
    status: int = 200,
    errors: dict | None = None,
    error: str = "",
    values: dict | None = None,
    unsaved: bool = False,
):
    view = ev.offer_page(session=db_session(), actor=current_actor(), offer_id=offer_id)
    decl = view["declaration"]
    return render(
        "evaluation/offer.html",
        status=status,
        fields=fp.FIELDS,
        formula=fp.FORMULA,
        errors=errors or {},
        error=error,
        values=values if values is not None else (decl.data if decl else {}),
        defaults=fp.DEFAULTS,
        unsaved=unsaved,  # the declaration form shows typed values that were not saved
        u=units,
        **view,
    )


@bp.route("/offers/<int:offer_id>")
@roles_required(*ROLES)
def offer(offer_id: int):
    return _offer_page(offer_id)


@bp.route("/offers/<int:offer_id>/declaration", methods=["POST"])
@roles_required("buyer")
def declaration_save(offer_id: int):
    data = {name: request.form.get(name, "") for name in fp.FIELDS}
    try:
        ev.save_declaration(
            session=db_session(),
            actor=current_actor(),
            offer_id=offer_id,
            data=data,
            source="formulaire",
        )
    except ValidationError as exc:
        return _offer_page(
            offer_id, status=422, errors=exc.fields, error=exc.message, values=data, unsaved=True
        )
    flash("Déclaration enregistrée, empreinte calculée.", "success")
    return redirect(url_for("evaluation.offer", offer_id=offer_id))


@bp.route("/offers/<int:offer_id>/declaration/import", methods=["POST"])
@roles_required("buyer")
def declaration_import(offer_id: int):
    upload = request.files.get("file")
    try:
        if not upload or not upload.filename:
            raise ValidationError(
                "Choisissez un fichier JSON ou CSV.", fields={"file": "Fichier obligatoire."}
            )
        raw = upload.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValidationError(
                f"{upload.filename} : encodage non UTF-8.", fields={"file": "UTF-8 attendu."}
            ) from exc
        ev.import_declaration(
            session=db_session(),
            actor=current_actor(),
            offer_id=offer_id,
            text=text,
            filename=upload.filename,
        )
    except ValidationError as exc:
        return _offer_page(offer_id, status=422, errors=exc.fields, error=exc.message)
    flash(f"Déclaration importée depuis {upload.filename}.", "success")
    return redirect(url_for("evaluation.offer", offer_id=offer_id))


@bp.route("/<int:tender_id>/evaluators", methods=["POST"])
@roles_required("buyer")
def evaluators_assign(tender_id: int):
    ids = request.form.getlist("evaluators", type=int)
    lead = request.form.get("lead", type=int)
    try:
        ev.assign_evaluators(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            user_ids=ids,
            lead_id=lead,
        )
    except ValidationError as exc:
        return _tender_page(
            tender_id, status=422, form="evaluators", errors=exc.fields, error=exc.message
        )
    flash("Évaluateurs désignés.", "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id) + "#evaluateurs")


def _save_notes(save, tender_id: int, offer_id: int, form_name: str, text_key: str, done: str):
    """Save one offer's notes from a one-offer form (`score-<i>`; scripts and older pages)."""
    try:
        save(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            offer_id=offer_id,
            form=request.form,
        )
    except ValidationError as exc:
        # Shown again in the page's one form: the fields take the offer's id, nothing is lost.
        names = [
            c["name"] for c in ev.criteria(ev.get_tender(session=db_session(), tender_id=tender_id))
        ]
        values = {
            f"{field}-{offer_id}-{i}": request.form.get(f"{field}-{i}", "")
            for i in range(len(names))
            for field in ("score", text_key)
        }
        return _tender_page(
            tender_id,
            status=422,
            form=form_name,
            errors={ev.note_key(offer_id, k): v for k, v in exc.fields.items()},
            error=exc.message,
            values=values,
        )
    flash(done, "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id) + f"#offre-{offer_id}")


def _save_all_notes(save, tender_id: int, form_name: str, done: str):
    """Save every offer's notes from the page's one form; on error, show all that was typed."""
    try:
        saved = save(
            session=db_session(), actor=current_actor(), tender_id=tender_id, form=request.form
        )
    except ValidationError as exc:
        return _tender_page(
            tender_id,
            status=422,
            form=form_name,
            errors=exc.fields,
            error=exc.message,
            values=request.form,
        )
    flash(done.format(count=len(saved)), "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id) + "#notation")


@bp.route("/<int:tender_id>/scores", methods=["POST"])
@roles_required("evaluator")
def scores_save_all(tender_id: int):
    return _save_all_notes(
        ev.save_all_scores, tender_id, "scores", "Notes enregistrées ({count} notes)."
    )


@bp.route("/<int:tender_id>/offers/<int:offer_id>/scores", methods=["POST"])
@roles_required("evaluator")
def scores_save(tender_id: int, offer_id: int):
    return _save_notes(
        ev.save_scores, tender_id, offer_id, "scores", "comment", "Notes enregistrées."
    )


@bp.route("/<int:tender_id>/submit", methods=["POST"])
@roles_required("evaluator")
def scores_submit(tender_id: int):
    try:
        ev.submit_scores(session=db_session(), actor=current_actor(), tender_id=tender_id)
    except ValidationError as exc:
        return _tender_page(
            tender_id, status=422, form="submit", errors=exc.fields, error=exc.message
        )
    flash("Notes soumises : vous voyez désormais celles des autres évaluateurs.", "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id))


@bp.route("/<int:tender_id>/final", methods=["POST"])
@roles_required("evaluator")
def final_save_all(tender_id: int):
    return _save_all_notes(
        ev.save_all_final_scores, tender_id, "final", "Notes finales enregistrées ({count} notes)."
    )


@bp.route("/<int:tender_id>/offers/<int:offer_id>/final", methods=["POST"])
@roles_required("evaluator")
def final_save(tender_id: int, offer_id: int):
    return _save_notes(
        ev.save_final_scores,
        tender_id,
        offer_id,
        "final",
        "justification",
        "Notes finales enregistrées.",
    )


@bp.route("/<int:tender_id>/lock", methods=["POST"])
@roles_required("evaluator")
def lock(tender_id: int):
    try:
        ev.lock(session=db_session(), actor=current_actor(), tender_id=tender_id)
    except ValidationError as exc:
        return _tender_page(
            tender_id, status=422, form="lock", errors=exc.fields, error=exc.message
        )
    flash("Évaluation verrouillée.", "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id))


@bp.route("/<int:tender_id>/unlock", methods=["POST"])
@roles_required(*ROLES)
def unlock(tender_id: int):
    try:
        ev.unlock(
            session=db_session(),
            actor=current_actor(),
            tender_id=tender_id,
            reason=request.form.get("reason", ""),
        )
    except ValidationError as exc:
        return _tender_page(
            tender_id, status=422, form="unlock", errors=exc.fields, error=exc.message
        )
    flash("Évaluation déverrouillée.", "success")
    return redirect(url_for("evaluation.tender", tender_id=tender_id))


@bp.route("/<int:tender_id>/chart/<kind>.png")
@roles_required(*ROLES)
def chart(tender_id: int, kind: str):
    png = ev.chart_png(session=db_session(), actor=current_actor(), tender_id=tender_id, kind=kind)
    return Response(png, mimetype="image/png")


@bp.route("/<int:tender_id>/report", methods=["POST"])
@roles_required(*ROLES)
def report_export(tender_id: int):
    fmt = request.form.get("format", "docx")
    doc, _path = ev.export_report(
        session=db_session(),
        actor=current_actor(),
        tender_id=tender_id,
        fmt=fmt,
        store=document_store(),
    )
    flash(
        f"Rapport d'analyse exporté ({doc.format.upper()}, empreinte SHA-256 {doc.sha256[:12]}…).",
        "success",
    )
    return redirect(url_for("evaluation.tender", tender_id=tender_id) + "#rapport")


@bp.route("/<int:tender_id>/report/<int:doc_id>")
@roles_required(*ROLES)
def report_download(tender_id: int, doc_id: int):
    doc = ev.report_document(
        session=db_session(), actor=current_actor(), tender_id=tender_id, doc_id=doc_id
    )
    return send_document("tenders", tender_id, doc.filename, doc.format)
