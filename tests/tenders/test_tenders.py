"""Tenders: services without HTTP (profile, proposals, values, check, export, staleness, verify, CLI)."""

from __future__ import annotations

import json
import re
import shutil

import docx
import pytest
from odf import opendocument, teletype
from odf import text as odf_text
from sqlmodel import select

from procure.core.errors import Conflict, Forbidden, NotFound, ValidationError
from procure.core.models import AuditEvent
from procure.documents.store import DocumentStore
from procure.tenders import rules
from procure.tenders import services as svc
from procure.tenders.models import Tender, TenderClause, TenderDocument
from tests.factories import CRITERIA, actor_of, load_library, new_version, tender_data


@pytest.fixture
def library(session):
    return load_library(session)


@pytest.fixture
def store(tmp_path):
    return DocumentStore(tmp_path / "exports")


@pytest.fixture
def buyer(make_user):
    return make_user("buyer", organisation="Ville de Testville")


def test_reference_generated_and_rules_name_each_proposal(session, library, buyer):
    first = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    second = svc.create_tender(
        session=session, actor=actor_of(buyer), data=tender_data(reference="AO-2026/12")
    )
    third = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    assert first.reference.endswith("-0001") and third.reference.endswith("-0002")
    assert second.reference == "AO-2026/12"
    rows = svc.tender_clauses(session=session, tender=first)
    by_key = {r.clause.key: r for r in rows}
    assert by_key["auditabilite.journalisation"].link.proposed_by == "R04-haut-risque-journaux"
    assert by_key["auditabilite.journalisation"].link.variant == "haut-risque"
    assert (
        by_key["donnees.traitement-donnees-personnelles"].link.proposed_by
        == "R11-donnees-personnelles"
    )
    assert "donnees.hebergement-secnumcloud" not in by_key  # no sensitive data
    assert all(r.link.proposed_by in rules.RULES_BY_ID for r in rows)
    light = svc.create_tender(
        session=session,
        actor=actor_of(buyer),
        data=tender_data(ai_high_risk=False, personal_data=False, sensitive_data=True),
    )
    light_keys = {r.clause.key: r for r in svc.tender_clauses(session=session, tender=light)}
    assert "auditabilite.journalisation" not in light_keys
    assert (
        light_keys["donnees.hebergement-secnumcloud"].link.proposed_by == "R13-secnumcloud-propose"
    )


def test_compliance_findings(session, library, buyer, store):
    actor = actor_of(buyer)
    tender = svc.create_tender(
        session=session,
        actor=actor,
        data=tender_data(
            award_criteria=[
                {"name": "Prix", "kind": "price", "weight": 60},
                {"name": "Technique", "kind": "technical", "weight": 30},
            ],
            sensitive_data=True,
        ),
        clauses=[
            {"key": "auditabilite.documentation-technique"},
            {"key": "reversibilite.plan-de-reversibilite"},
        ],
    )
    findings = svc.check(session=session, tender=tender)
    codes = [(f.code, f.severity) for f in findings]
    assert ("CRITERE-ENVIRONNEMENTAL-ABSENT", "error") in codes
    # A total other than 100 is a house rule, not law (R2152-12): a warning with its basis.
    assert ("PONDERATIONS", "warning") in codes
    assert all(f.basis for f in findings if f.code in ("PONDERATIONS", "CLAUSE-REQUISE"))
    missing = " ".join(f.message for f in findings if f.code == "CLAUSE-REQUISE")
    assert "journaux" in missing and "contrôle humain" in missing and "RGPD" in missing
    # Sensitive data of a buyer outside loi SREN art. 31: SecNumCloud proposed, not required.
    assert "SecNumCloud" not in missing
    assert "documentation technique" not in missing
    assert all(f.message and f.severity in ("error", "warning", "info") for f in findings)
    with pytest.raises(ValidationError) as exc:
        svc.export(
            session=session,
            actor=actor,
            tender_id=tender.id,
            piece="CCAP",
            fmt="odt",
            store=store,
        )
    assert "CRITERE-ENVIRONNEMENTAL-ABSENT" in exc.value.fields


def test_required_variable_empty_and_deprecated_version(session, library, buyer):
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    row = next(
        r
        for r in svc.tender_clauses(session=session, tender=tender)
        if r.clause.key == "auditabilite.journalisation"
    )
    values = {
        k: (
            ""
            if k == "duree_conservation_jours"
            else ", ".join(v)
            if isinstance(v, list)
            else str(v)
        )
        for k, v in row.link.values.items()
    }
    svc.set_clause_values(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        link_id=row.link.id,
        variant="allegee",
        values=values,
        lock_version=tender.lock_version,
    )
    row.version.status = "deprecated"
    session.add(row.version)
    session.commit()
    findings = {f.code: f for f in svc.check(session=session, tender=tender)}
    assert findings["VARIABLE-VIDE"].fix == {
        "target": "clause",
        "link_id": row.link.id,
        "field": "duree_conservation_jours",
    }
    assert findings["VERSION-RETIREE"].severity == "error"


def test_invalid_values_refused_nothing_written(session, library, buyer):
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    row = next(
        r
        for r in svc.tender_clauses(session=session, tender=tender)
        if r.clause.key == "auditabilite.journalisation"
    )
    before, version = dict(row.link.values), tender.lock_version
    with pytest.raises(ValidationError) as exc:
        svc.set_clause_values(
            session=session,
            actor=actor_of(buyer),
            tender_id=tender.id,
            link_id=row.link.id,
            variant="inconnue",
            values={"duree_conservation_jours": "dix"},
            lock_version=version,
        )
    assert "duree_conservation_jours" in exc.value.fields and "variant" in exc.value.fields
    session.expire_all()
    assert session.get(TenderClause, row.link.id).values == before
    assert session.get(Tender, tender.id).lock_version == version


def test_optimistic_locking_and_access(session, library, buyer, make_user):
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    v = tender.lock_version
    svc.update_tender(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        data=tender_data(title="Nouveau"),
        lock_version=v,
    )
    with pytest.raises(Conflict) as exc:
        svc.update_tender(
            session=session,
            actor=actor_of(buyer),
            tender_id=tender.id,
            data=tender_data(title="Autre"),
            lock_version=v,
        )
    assert exc.value.changes["events"][0]["champs"] == ["title"]
    outsider = make_user("buyer", organisation="Autre organisation")
    with pytest.raises(Forbidden):
        svc.get_tender(session=session, actor=actor_of(outsider), tender_id=tender.id)
    with pytest.raises(NotFound):
        svc.get_tender(session=session, actor=actor_of(buyer), tender_id=9999)
    colleague = make_user("buyer", organisation="Ville de Testville")
    assert (
        svc.get_tender(session=session, actor=actor_of(colleague), tender_id=tender.id).id
        == tender.id
    )


def test_add_remove_move(session, library, buyer):
    actor = actor_of(buyer)
    tender = svc.create_tender(
        session=session,
        actor=actor,
        data=tender_data(),
        clauses=[
            {"key": "reversibilite.plan-de-reversibilite"},
            {"key": "donnees.non-entrainement", "variant": "interdiction"},
        ],
    )
    svc.add_clause(
        session=session,
        actor=actor,
        tender_id=tender.id,
        key="competences.formation-agents",
        lock_version=None,
    )
    with pytest.raises(Conflict):
        svc.add_clause(
            session=session,
            actor=actor,
            tender_id=tender.id,
            key="competences.formation-agents",
            lock_version=None,
        )
    rows = svc.tender_clauses(session=session, tender=tender)
    assert rows[-1].link.proposed_by == "R15-competences"
    svc.move_clause(
        session=session,
        actor=actor,
        tender_id=tender.id,
        link_id=rows[-1].link.id,
        direction="top",
        lock_version=None,
    )
    assert [r.clause.key for r in svc.tender_clauses(session=session, tender=tender)][
        0
    ] == "competences.formation-agents"
    svc.remove_clause(
        session=session,
        actor=actor,
        tender_id=tender.id,
        link_id=rows[0].link.id,
        lock_version=None,
    )
    keys = [r.clause.key for r in svc.tender_clauses(session=session, tender=tender)]
    assert keys == ["competences.formation-agents", "donnees.non-entrainement"]
    actions = [
        e.action
        for e in session.exec(select(AuditEvent).where(AuditEvent.record_type == "tender")).all()
    ]
    assert actions == [
        "tender.create",
        "tender.clause_add",
        "tender.clause_move",
        "tender.clause_remove",
    ]


def _ready_tender(session, buyer, hostile="<b>{{ x }}</b> & {% raw %}"):
    actor = actor_of(buyer)
    tender = svc.create_tender(
        session=session,
        actor=actor,
        data=tender_data(title=f"Assistant {hostile}"),
        clauses=[
            {"key": "environnement.critere-environnemental"},
            {"key": "environnement.declaration-empreinte"},
            {"key": "donnees.propriete-intellectuelle-resultats"},
            {
                "key": "auditabilite.journalisation",
                "values": {"formats_journaux": ["JSON Lines", hostile]},
            },
            {"key": "auditabilite.documentation-technique"},
            {"key": "supervision-humaine.mesures-controle-humain"},
            {"key": "supervision-humaine.arret-suspension"},
            {"key": "auditabilite.signalement-incidents"},
            {"key": "auditabilite.appui-registre-analyse-impact"},
            {"key": "donnees.traitement-donnees-personnelles"},
            {"key": "donnees.sous-traitants"},
            {"key": "donnees.localisation-ue"},
            # What the clauses above rely on (declared dependencies).
            {"key": "donnees.destruction-donnees"},
            {"key": "execution.constat-manquements"},
            {"key": "execution.recette-ia"},
            {"key": "execution.niveaux-de-service"},
        ],
    )
    return tender


def test_export_all_pieces_read_back_with_real_readers(session, library, buyer, store):
    hostile = "<b>{{ x }}</b> & {% raw %}"
    tender = _ready_tender(session, buyer, hostile)
    actor = actor_of(buyer)
    assert not svc.has_errors(svc.check(session=session, tender=tender))
    files = {}
    for piece in ("RC", "CCAP", "CCTP"):
        for fmt in ("docx", "odt"):
            doc = svc.export(
                session=session, actor=actor, tender_id=tender.id, piece=piece, fmt=fmt, store=store
            )
            path = store.locate("tenders", tender.id, doc.filename)
            files[(piece, fmt)] = (path, doc)
    rc = [p.text for p in docx.Document(str(files[("RC", "docx")][0])).paragraphs]
    assert "Référence : " + tender.reference in rc
    assert any(t.startswith("Article ") and "Critères d'attribution" in t for t in rc)
    table = docx.Document(str(files[("RC", "docx")][0])).tables[0]
    assert [c.text for c in table.rows[3].cells][:3] == [
        "Performance environnementale",
        "Performance environnementale",
        "15 %",
    ]
    assert any("pondéré à 15 %" in t for t in rc)  # the RC clause with its value
    ccap_odt = opendocument.load(str(files[("CCAP", "odt")][0]))
    headings = [teletype.extractText(h) for h in ccap_odt.getElementsByType(odf_text.H)]
    assert any(h.endswith("Dérogations au CCAG-TIC") for h in headings)
    assert headings[-1] == "Annexe – Clauses utilisées"
    cctp = [
        teletype.extractText(p)
        for p in opendocument.load(str(files[("CCTP", "odt")][0])).getElementsByType(odf_text.P)
    ]
    assert any(f"JSON Lines et {hostile}" in t for t in cctp)  # value as text, not markup
    annex = docx.Document(str(files[("CCTP", "docx")][0])).tables[-1]
    version = library["auditabilite.journalisation"]
    # The annex table stays compact (short hash); the full hash is in its machine-readable part.
    assert ["auditabilite.journalisation", "1", version.content_hash[:12]] in [
        [c.text for c in r.cells][:3] for r in annex.rows
    ]
    cctp_docx = [p.text for p in docx.Document(str(files[("CCTP", "docx")][0])).paragraphs]
    hashes = [json.loads(t) for t in cctp_docx if t.startswith('{"cle"')]
    assert {"cle": "auditabilite.journalisation", "version": 1, "sha256": version.content_hash} in (
        hashes
    )
    doc = files[("CCTP", "docx")][1]
    import hashlib

    assert doc.sha256 == hashlib.sha256(files[("CCTP", "docx")][0].read_bytes()).hexdigest()
    assert {m["key"] for m in doc.manifest} == {
        "auditabilite.journalisation",
        "supervision-humaine.mesures-controle-humain",
        "environnement.declaration-empreinte",
    }
    assert all(
        {"key", "version", "content_hash", "variant", "title"} <= set(m) for m in doc.manifest
    )
    exports = session.exec(select(AuditEvent).where(AuditEvent.action == "tender.export")).all()
    assert len(exports) == 6 and exports[0].details["sha256"]


def test_verify_unchanged_edited_and_found_by_reference(session, library, buyer, store, runner):
    tender = _ready_tender(session, buyer)
    actor = actor_of(buyer)
    doc = svc.export(
        session=session, actor=actor, tender_id=tender.id, piece="CCTP", fmt="docx", store=store
    )
    path = store.locate("tenders", tender.id, doc.filename)
    report = svc.verify(session=session, actor=actor, path=path)
    assert report["file_unchanged"] and report["found_by"] == "empreinte du fichier"
    assert {c["status"] for c in report["clauses"]} == {"conforme"}
    document = docx.Document(str(path))
    target = next(
        p for p in document.paragraphs if p.text.startswith("Les journaux sont conservés pendant")
    )
    target.runs[0].text = target.runs[0].text.replace("Les journaux", "Les journaux modifiés")
    document.save(str(path))
    report = svc.verify(session=session, actor=actor, path=path)
    assert not report["file_unchanged"] and report["found_by"] == "référence lue dans le document"
    status = {c["key"]: c["status"] for c in report["clauses"]}
    assert status["auditabilite.journalisation"] == "modifiee"
    entry = next(c for c in report["clauses"] if c["key"] == "auditabilite.journalisation")
    assert "Les journaux{+ modifiés+} sont conservés" in svc.diff_text(entry["diff"]), (
        svc.diff_text(entry["diff"])
    )
    assert status["supervision-humaine.mesures-controle-humain"] == "conforme"
    # The CLI's text output shows the same word diff under the edited clause.
    r = runner.invoke(args=["verify", str(path), "--as", buyer.email])
    assert r.exit_code == 2
    assert "modifiee  auditabilite.journalisation v1" in r.output
    assert "Les journaux{+ modifiés+} sont conservés" in r.output
    # The library moves on; the exported document does not.
    new_version(
        session, "supervision-humaine.mesures-controle-humain", title="Contrôle humain (v2)"
    )
    report = svc.verify(session=session, actor=actor, path=path)
    entry = next(
        c for c in report["clauses"] if c["key"] == "supervision-humaine.mesures-controle-humain"
    )
    assert entry["status"] == "conforme" and entry["version"] == 1 and entry["latest_version"] == 2


def test_cli_create_check_export_verify(runner, session, library, buyer, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text(
        json.dumps(
            {
                "title": "Traduction automatique",
                "buyer": "Ville de Testville",
                # A procedure by its label, as a buyer writes it.
                "procedure": "Procédure adaptée (MAPA)",
                "cpv": ["72000000-5"],
                "amount": 90000,
                "ai_high_risk": False,
                "personal_data": False,
                "sensitive_data": False,
                "buyer_kind": "collectivite",
                "interacts_with_people": False,
                "health_data": False,
                "particularly_sensitive_data": False,
                "launch_date": "2026-12-10",
                "defence_or_security": False,
                "lots_reason": "Prestation unique indissociable.",
                "award_criteria": CRITERIA,
                "clauses": [
                    {"key": "reversibilite.plan-de-reversibilite", "values": {}},
                    {"key": "environnement.critere-environnemental"},
                    {"key": "environnement.declaration-empreinte"},
                ],
            }
        ),
        encoding="utf-8",
    )
    r = runner.invoke(
        args=["tenders", "create", "--from", str(spec), "--json", "--as", buyer.email]
    )
    assert r.exit_code == 0, r.output
    created = json.loads(r.output)
    assert created["reference"].startswith("PRC-") and created["clauses"] == 3
    tender = session.get(Tender, created["id"])
    assert tender.procedure == "mapa" and tender.buyer_kind == "collectivite"
    assert str(tender.launch_date) == "2026-12-10" and tender.profile_confirmed
    r = runner.invoke(args=["tenders", "check", str(created["id"]), "--json", "--as", buyer.email])
    findings = json.loads(r.output)
    assert r.exit_code == 0 and all(
        {"code", "severity", "message", "basis"} <= set(f) for f in findings
    )
    assert not [f for f in findings if f["severity"] == "error"], findings
    r = runner.invoke(args=["tenders", "show", str(created["id"]), "--json", "--as", buyer.email])
    shown = json.loads(r.output)
    assert shown["buyer_kind"] == "collectivite" and shown["launch_date"] == "2026-12-10"
    assert shown["lots_reason"] == "Prestation unique indissociable."
    r = runner.invoke(args=["tenders", "check", str(created["id"]), "--as", buyer.email])
    assert "Fondement : Code de la commande publique" in r.output
    out = tmp_path / "rc.odt"
    r = runner.invoke(
        args=[
            "tenders",
            "export",
            str(created["id"]),
            "--piece",
            "RC",
            "--format",
            "odt",
            "-o",
            str(out),
            "--as",
            buyer.email,
        ]
    )
    assert r.exit_code == 0, r.output and out.exists()
    r = runner.invoke(args=["verify", str(out), "--json", "--as", buyer.email])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["summary"]["conforme"] == 1
    r = runner.invoke(args=["tenders", "list", "--json", "--as", buyer.email])
    assert [t["reference"] for t in json.loads(r.output)] == [created["reference"]]


def test_cli_bad_spec_names_the_problem(runner, session, library, buyer, tmp_path):
    spec = tmp_path / "spec.json"
    spec.write_text('{"title": "x",\n "buyer": }', encoding="utf-8")
    r = runner.invoke(args=["tenders", "create", "--from", str(spec), "--as", buyer.email])
    assert r.exit_code == 1 and "spec.json, ligne 2" in r.output
    spec.write_text(
        json.dumps(
            {
                "title": "x",
                "buyer": "y",
                "procedure": "aoo",
                "award_criteria": CRITERIA,
                "clauses": [{"key": "inexistante.cle"}],
            }
        ),
        encoding="utf-8",
    )
    r = runner.invoke(args=["tenders", "create", "--from", str(spec), "--as", buyer.email])
    assert r.exit_code == 1 and "inexistante.cle" in r.output
    assert session.exec(select(Tender)).first() is None


def test_demo_is_idempotent(engine, session, library):
    from procure.accounts.demo import ensure_users
    from procure.tenders import demo as tenders_demo

    users = ensure_users(engine)
    messages = []
    tenders_demo.load(engine=engine, users=users, echo=messages.append)
    tenders_demo.load(engine=engine, users=users, echo=messages.append)
    tenders = session.exec(select(Tender)).all()
    assert len(tenders) == 1 and tenders[0].owner_id == users["buyer"].id
    assert any(c["kind"] == "environment" for c in tenders[0].award_criteria)
    assert "existe déjà" in messages[-1]
    # The demo is one consistent legal object: no errors, and its RC publishes the same
    # environmental split and method as its criteria (the evaluation scores with those).
    demo = tenders[0]
    errors = [f for f in svc.check(session=session, tender=demo) if f.severity == "error"]
    assert not errors, [(f.code, f.message) for f in errors]
    rc = svc.build_spec(session=session, tender=demo, piece="RC")[0]
    text = " ".join(getattr(b, "text", "") for b in rc.blocks)
    assert "pour 70 % du critère" in text and "pour 30 % du critère" in text
    assert "échelle logarithmique écrêtée" in text and "[valeur du marché" not in text
    assert demo.interacts_with_people and demo.buyer_kind == "collectivite"


@pytest.mark.libreoffice
def test_libreoffice_renders_every_piece_with_clause_values(
    session, library, buyer, store, tmp_path
):
    from tests.office import pdf_text, to_pdfs

    tender = _ready_tender(session, buyer, "<i>Parquet</i>")
    paths = []
    for piece in ("RC", "CCAP", "CCTP"):
        for fmt in ("docx", "odt"):
            paths.append(tmp_path / f"{piece}-{fmt}.{fmt}")
            doc = svc.export(
                session=session,
                actor=actor_of(buyer),
                tender_id=tender.id,
                piece=piece,
                fmt=fmt,
                store=store,
            )
            shutil.copyfile(store.locate("tenders", tender.id, doc.filename), paths[-1])
    pdfs = to_pdfs(paths, tmp_path / "pdf")
    texts = {p.name: pdf_text(pdf) for p, pdf in zip(paths, pdfs, strict=True)}
    for fmt in ("docx", "odt"):
        assert "pondéré à 15 % de la note globale" in texts[f"RC-{fmt}.{fmt}"]  # from the tender
        assert "Les journaux sont conservés pendant 365 jours" in texts[f"CCTP-{fmt}.{fmt}"]
        assert "JSON Lines et <i>Parquet</i>" in texts[f"CCTP-{fmt}.{fmt}"]
        assert "Dérogations au CCAG-TIC" in texts[f"CCAP-{fmt}.{fmt}"]
        assert (
            tender.reference in texts[f"CCAP-{fmt}.{fmt}"]
            and "Page 2 sur" in texts[f"CCAP-{fmt}.{fmt}"]
        )


@pytest.mark.parametrize("space", [" ", "\u00a0", "\u202f"], ids=["space", "nbsp", "narrow-nbsp"])
def test_every_typed_number_accepts_any_kind_of_space(space):
    criteria = [
        {"name": "Prix", "kind": "price", "weight": "12,5"},
        {"name": "Technique", "kind": "technical", "weight": f"{space}50"},
        {"name": "Environnement", "kind": "environment", "weight": f"37,5{space}"},
    ]
    clean, errors = svc.parse_tender_data(
        tender_data(
            amount=f"1{space}234{space}567,5",
            requests_per_year=f"1{space}200{space}000",
            tokens_per_request=f"1{space}500",
            award_criteria=criteria,
        )
    )
    assert errors == {}
    assert clean["amount"] == 1234567.5
    assert (clean["requests_per_year"], clean["tokens_per_request"]) == (1_200_000, 1500)
    assert [c["weight"] for c in clean["award_criteria"]] == [12.5, 50, 37.5]


def test_amount_round_trips_through_the_edit_form(session, library, buyer):
    tender = svc.create_tender(
        session=session, actor=actor_of(buyer), data=tender_data(amount="1 234 567,89")
    )
    shown = svc.tender_form(tender)["amount"]
    clean, errors = svc.parse_tender_data(tender_data(amount=shown))
    assert errors == {} and clean["amount"] == tender.amount == 1234567.89


def _panel_errors(session, user, tender) -> int:
    [panel] = svc.pending_work(session=session, user=user)
    [item] = [i for i in panel["items"] if i["params"] == {"tender_id": tender.id}]
    found = re.search(r"\((\d+) erreur", item["label"])
    return int(found.group(1)) if found else 0


def test_home_panel_error_count_follows_tender_and_library_changes(session, library, buyer):
    def errors_now(tender):
        return sum(1 for f in svc.check(session=session, tender=tender) if f.severity == "error")

    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    assert _panel_errors(session, buyer, tender) == errors_now(tender)
    svc.update_tender(
        session=session,
        actor=actor_of(buyer),
        tender_id=tender.id,
        data=tender_data(award_criteria=CRITERIA[:2]),
        lock_version=tender.lock_version,
    )
    before = errors_now(tender)
    assert before >= 1 and _panel_errors(session, buyer, tender) == before
    row = svc.tender_clauses(session=session, tender=tender)[0]
    row.version.status = "deprecated"  # the lawyers withdraw a pinned version
    session.add(row.version)
    session.commit()
    assert errors_now(tender) == before + 1
    assert _panel_errors(session, buyer, tender) == before + 1


def test_failed_export_record_leaves_no_file(session, library, buyer, store, monkeypatch):
    tender = _ready_tender(session, buyer)

    def broken_commit():
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(session, "commit", broken_commit)
    with pytest.raises(RuntimeError):
        svc.export(
            session=session,
            actor=actor_of(buyer),
            tender_id=tender.id,
            piece="RC",
            fmt="odt",
            store=store,
        )
    monkeypatch.undo()
    assert list(store.folder("tenders", tender.id).iterdir()) == []
    assert session.exec(select(TenderDocument)).first() is None


def test_admin_without_buyer_role_has_no_access(session, library, buyer, make_user):
    tender = svc.create_tender(session=session, actor=actor_of(buyer), data=tender_data())
    admin = make_user("admin", organisation="Ville de Testville")
    with pytest.raises(Forbidden):
        svc.get_tender(session=session, actor=actor_of(admin), tender_id=tender.id)
    assert not svc.can_access(session, actor_of(admin), tender)
    assert svc.list_tenders(session=session, actor=actor_of(admin)) == []
