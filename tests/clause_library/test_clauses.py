"""The clause library room: sync, four-eyes review, immutability, CLI, pages."""

from __future__ import annotations

import json
import shutil

import pytest
from sqlalchemy import text
from sqlmodel import select

from procure.clause_library import services as service
from procure.clause_library.models import Clause, ClauseVersion, ClauseVersionIsImmutable
from procure.clause_library.services import parse_clause_text
from procure.core.audit import Actor
from procure.core.errors import Forbidden, ValidationError
from procure.core.models import AuditEvent
from tests.clause_library.test_clauselib import GOOD
from tests.conftest import soup
from tests.factories import ROOT

SAMPLE = [
    "reversibilite/plan-de-reversibilite.md",
    "environnement/critere-environnemental.md",
    "donnees/hebergement-secnumcloud.md",
]


@pytest.fixture
def library(tmp_path):
    """A small library folder: three real clause files."""
    folder = tmp_path / "bibliotheque"
    for name in SAMPLE:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(ROOT / "clauses" / name, folder / name)
    return folder


@pytest.fixture
def jurists(make_user):
    return make_user("legal"), make_user("legal")


def actor(user) -> Actor:
    return Actor.of(user, "test")


def synced(session, library, author):
    report = service.sync_directory(session=session, actor=actor(author), directory=library)
    assert not report.errors and len(report.created) == len(SAMPLE)
    return report


def version_of(session, key, number=1) -> ClauseVersion:
    session.expire_all()
    return service.get_version_by_number(session=session, key=key, number=number)[1]


def posted(form: dict) -> dict:
    """`form_of`'s fields as the edit form posts them: each structured row as
    `<group>-<n>-<field>` (the form's repeated field groups)."""
    out = {}
    for name, value in form.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            for index, row in enumerate(value):
                for field_name, cell in row.items():
                    out[f"{name}-{index}-{field_name}"] = cell
        elif not (isinstance(value, list) and not value and name in service.ROW_FIELDS):
            out[name] = value
    return out


def browser_form(page, selector: str = "#clause-form") -> dict:
    """What a browser would post from the form (text inputs, textareas, selects, ticked boxes)."""
    data: dict = {}
    form = page.select_one(selector)
    for field in form.select("input, textarea, select"):
        name = field.get("name")
        if not name or field.find_parent("template"):
            continue
        if field.name == "textarea":
            value = field.get_text()
        elif field.name == "select":
            chosen = field.select_one("option[selected]") or field.select_one("option")
            value = chosen.get("value", chosen.get_text()) if chosen else ""
        elif field.get("type") == "checkbox":
            if not field.has_attr("checked"):
                continue
            value = field.get("value", "on")
        else:
            value = field.get("value", "")
        if name in data:
            data[name] = [*(data[name] if isinstance(data[name], list) else [data[name]]), value]
        else:
            data[name] = value
    return data


def approve_all(session, author, reviewer, key, number=1):
    version = version_of(session, key, number)
    service.submit(session=session, actor=actor(author), version_id=version.id)
    return service.approve(session=session, actor=actor(reviewer), version_id=version.id)


# --- sync ------------------------------------------------------------------------------------


def test_sync_creates_drafts_only_when_content_changes(session, library, jurists):
    author, _ = jurists
    synced(session, library, author)
    again = service.sync_directory(session=session, actor=actor(author), directory=library)
    assert again.created == [] and len(again.unchanged) == 3
    path = library / SAMPLE[0]
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "sans perte de données", "sans aucune perte de données"
        ),
        encoding="utf-8",
    )
    third = service.sync_directory(session=session, actor=actor(author), directory=library)
    assert third.created == [("reversibilite.plan-de-reversibilite", 2)]
    v2 = version_of(session, "reversibilite.plan-de-reversibilite", 2)
    assert v2.status == "draft" and v2.author_id == author.id
    assert "sans aucune perte" in v2.body
    assert (
        v2.content_hash
        == parse_clause_text(path.read_text(encoding="utf-8"), filename=SAMPLE[0]).content_hash()
    )
    actions = [
        e.action for e in session.exec(select(AuditEvent).where(AuditEvent.action == "clause.sync"))
    ]
    assert len(actions) == 4


BAD_FILES = {
    "reversibilite/yaml-casse.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.yaml-casse").replace(
            "title: Clause d'essai", "title: [Clause"
        ),
        ":5:",
        "YAML invalide",
    ),
    "reversibilite/famille.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.famille").replace(
            "family: reversibilite", "family: divers"
        ),
        ":3: family:",
        "famille inconnue",
    ),
    "reversibilite/non-declaree.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.non-declaree").replace(
            "{{ montant }}", "{{ prix }}"
        ),
        ":42: corps:",
        "non déclarée",
    ),
    "reversibilite/bornes.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.bornes").replace(
            "default: 3\n", "default: 30\n"
        ),
        ":14: variables.0.default:",
        "maximum",
    ),
    "reversibilite/gabarit.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.gabarit").replace(
            "{{ montant }}", "{{ montant.__class__.__mro__ }}"
        ),
        ":42: corps:",
        "code de gabarit interdit",
    ),
    "reversibilite/jinja.md": (
        GOOD.replace("reversibilite.essai", "reversibilite.jinja").replace(
            "- formats", "{% include '/etc/passwd' %}- formats"
        ),
        ":44: corps:",
        "code de gabarit interdit",
    ),
}


def test_cli_sync_reports_each_bad_file_and_still_syncs_the_good_ones(
    runner, session, library, jurists
):
    author, _ = jurists
    for name, (content, _where, _why) in BAD_FILES.items():
        (library / name).write_text(content, encoding="utf-8")
    # The same key twice, in two folders: both copies are refused, nothing half-imported.
    (library / "archives" / "reversibilite").mkdir(parents=True)
    shutil.copy(library / SAMPLE[2], library / "archives" / "donnees.md")
    dup = library / "archives" / "reversibilite" / "plan-de-reversibilite.md"
    shutil.copy(library / SAMPLE[0], dup)
    result = runner.invoke(args=["clauses", "sync", str(library), "--as", author.email])
    assert result.exit_code == 1, result.output
    errors = result.stderr
    for name, (_content, where, why) in BAD_FILES.items():
        line = next(line for line in errors.splitlines() if f" {name}:" in line)
        assert where in line and why in line, line
    assert "clé en double" in errors and "archives/reversibilite/plan-de-reversibilite.md" in errors
    assert "archives/donnees.md" in errors  # a file outside its family's folder
    keys = set(session.exec(select(Clause.key)).all())
    assert keys == {"environnement.critere-environnemental", "donnees.hebergement-secnumcloud"}
    assert "2 brouillon(s) créé(s)" in result.stdout


def test_cli_sync_default_folder_and_demo_are_idempotent(runner, session, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    library = service.approved_library(session=session)
    files = sorted((ROOT / "clauses").rglob("*.md"))
    assert len(library) == len(files)
    assert {c.family for c, _v in library} == set(service.FAMILIES)
    assert all(v.status == "approved" and v.reviewer_id != v.author_id for _c, v in library)
    count = len(session.exec(select(ClauseVersion)).all())
    assert runner.invoke(args=["demo"]).exit_code == 0
    result = runner.invoke(args=["clauses", "sync", "--as", "juriste@demo.procure.fr"])
    assert result.exit_code == 0 and "0 brouillon(s) créé(s)" in result.stdout
    session.expire_all()
    assert len(session.exec(select(ClauseVersion)).all()) == count
    assert service.latest_approved(session=session, key="donnees.non-entrainement").number == 1
    assert service.latest_approved(session=session, key="donnees.inexistante") is None


def test_export_round_trips_to_identical_content(runner, session, library, jurists, tmp_path):
    author, reviewer = jurists
    synced(session, library, author)
    for name in SAMPLE:
        approve_all(
            session,
            author,
            reviewer,
            parse_clause_text((library / name).read_text(), filename=name).key,
        )
    out = tmp_path / "export"
    result = runner.invoke(args=["clauses", "export", str(out)])
    assert result.exit_code == 0, result.output
    for name in SAMPLE:
        original = parse_clause_text((library / name).read_text(encoding="utf-8"), filename=name)
        exported = parse_clause_text((out / name).read_text(encoding="utf-8"), filename=name)
        assert exported == original and exported.content_hash() == original.content_hash()
    result = runner.invoke(args=["clauses", "sync", str(out), "--as", author.email])
    assert (
        result.exit_code == 0
        and "0 brouillon(s) créé(s), 3 clause(s) inchangée(s)" in result.stdout
    )


def test_cli_list_and_show_json(runner, session, library, jurists):
    author, reviewer = jurists
    synced(session, library, author)
    approve_all(session, author, reviewer, "environnement.critere-environnemental")
    rows = json.loads(runner.invoke(args=["clauses", "list", "--json"]).stdout)
    assert [r["key"] for r in rows] == [
        "donnees.hebergement-secnumcloud",
        "environnement.critere-environnemental",
        "reversibilite.plan-de-reversibilite",
    ] or len(rows) == 3
    by_key = {r["key"]: r for r in rows}
    assert by_key["environnement.critere-environnemental"]["status"] == "approved"
    assert by_key["donnees.hebergement-secnumcloud"]["status"] == "draft"
    shown = json.loads(
        runner.invoke(args=["clauses", "show", "donnees.hebergement-secnumcloud", "--json"]).stdout
    )
    assert {
        "key",
        "family",
        "title",
        "status",
        "version",
        "variables",
        "conditions",
        "references",
        "content_hash",
    } <= set(shown)
    assert shown["conditions"] == {"sensitive_data": True} and shown["version"] == 1
    missing = runner.invoke(
        args=["clauses", "show", "donnees.hebergement-secnumcloud", "--version", "7"]
    )
    assert missing.exit_code == 1 and "pas de version 7" in missing.stderr


# --- review and immutability -----------------------------------------------------------------


def test_four_eyes_review_through_services_and_cli(runner, session, library, jurists, make_user):
    author, reviewer = jurists
    synced(session, library, author)
    key = "reversibilite.plan-de-reversibilite"
    version = version_of(session, key)
    buyer = make_user("buyer")
    with pytest.raises(Forbidden):
        service.submit(session=session, actor=actor(buyer), version_id=version.id)
    assert (
        runner.invoke(
            args=["clauses", "submit", key, "--version", "1", "--as", author.email]
        ).exit_code
        == 0
    )
    result = runner.invoke(
        args=["clauses", "approve", key, "--version", "1", "--as", author.email, "--confirm-as"]
    )
    assert result.exit_code == 1 and "quatre yeux" in result.stderr
    result = runner.invoke(
        args=["clauses", "reject", key, "--version", "1", "--as", reviewer.email, "--confirm-as"]
    )
    assert result.exit_code == 1 and "Commentaire obligatoire" in result.stderr
    assert version_of(session, key).status == "in_review"
    approve = ["clauses", "approve", key, "--version", "1", "--as", reviewer.email]
    result = runner.invoke(args=[*approve, "--comment", "Relu."])
    assert result.exit_code == 1 and "--confirm-as" in result.stderr  # --as is an operator's tool
    result = runner.invoke(args=[*approve, "--comment", "Relu.", "--confirm-as"])
    assert result.exit_code == 0, result.output
    approved = version_of(session, key)
    assert (approved.status, approved.reviewer_id, approved.review_comment) == (
        "approved",
        reviewer.id,
        "Relu.",
    )
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.record_type == "clause_version", AuditEvent.record_id == str(approved.id)
        )
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("clause.sync", author.id),
        ("clause.submit", author.id),
        ("clause.approve", reviewer.id),
    ]


def test_reject_needs_a_comment_and_deprecate_names_the_replacement(session, library, jurists):
    author, reviewer = jurists
    synced(session, library, author)
    key = "donnees.hebergement-secnumcloud"
    approve_all(session, author, reviewer, key)
    path = library / SAMPLE[2]
    path.write_text(
        path.read_text(encoding="utf-8").replace("exclusivement sur", "uniquement sur"),
        encoding="utf-8",
    )
    service.sync_directory(session=session, actor=actor(author), directory=library)
    v2 = version_of(session, key, 2)
    service.submit(session=session, actor=actor(author), version_id=v2.id)
    with pytest.raises(ValidationError) as caught:
        service.reject(session=session, actor=actor(reviewer), version_id=v2.id, comment="  ")
    assert "comment" in caught.value.fields
    approve_all_v2 = service.approve(session=session, actor=actor(reviewer), version_id=v2.id)
    v1 = version_of(session, key, 1)
    with pytest.raises(ValidationError) as caught:
        service.deprecate(
            session=session, actor=actor(author), version_id=v1.id, replaced_by_id=None
        )
    assert "replaced_by" in caught.value.fields
    service.deprecate(
        session=session, actor=actor(author), version_id=v1.id, replaced_by_id=approve_all_v2.id
    )
    v1 = version_of(session, key, 1)
    assert v1.status == "deprecated" and v1.replaced_by_id == v2.id
    assert service.latest_approved(session=session, key=key).number == 2
    assert [v.number for _c, v in service.approved_library(session=session) if _c.key == key] == [2]


def test_approved_versions_are_immutable_by_any_path(session, engine, library, jurists):
    author, reviewer = jurists
    synced(session, library, author)
    key = "donnees.hebergement-secnumcloud"
    version = approve_all(session, author, reviewer, key)
    # Through the services: an approved version cannot be edited as a draft.
    with pytest.raises(service.Conflict):
        service.update_draft(
            session=session,
            actor=actor(author),
            version_id=version.id,
            data=service.form_of(*service.get_version_by_number(session=session, key=key)),
            lock_version=version.lock_version,
        )
    # Through the ORM.
    version = version_of(session, key)
    version.body = "Texte falsifié."
    session.add(version)
    with pytest.raises(ClauseVersionIsImmutable):
        session.commit()
    session.rollback()
    version = version_of(session, key)
    version.status = "draft"
    with pytest.raises(ClauseVersionIsImmutable):
        session.commit()
    session.rollback()
    session.delete(version_of(session, key))
    with pytest.raises(ClauseVersionIsImmutable):
        session.commit()
    session.rollback()
    # Through raw SQL: the database refuses it.
    for statement in (
        "UPDATE clause_version SET body = 'x' WHERE status = 'approved'",
        "UPDATE clause_version SET variables = '[]' WHERE status = 'approved'",
        "UPDATE clause_version SET status = 'draft' WHERE status = 'approved'",
        "DELETE FROM clause_version WHERE status = 'approved'",
    ):
        with pytest.raises(Exception, match="immutable"), engine.begin() as conn:
            conn.execute(text(statement))
    assert "falsifié" not in version_of(session, key).body
    # Drafts stay editable by SQL (the guard only protects reviewed versions).
    with engine.begin() as conn:
        conn.execute(text("UPDATE clause_version SET change_note = 'ok' WHERE status = 'draft'"))


# --- pages -----------------------------------------------------------------------------------


def test_library_page_searches_as_you_type_with_filters(client, login, session, library, jurists):
    author, reviewer = jurists
    synced(session, library, author)
    approve_all(session, author, reviewer, "reversibilite.plan-de-reversibilite")
    login("buyer")
    page = soup(client.get("/clauses/"))
    assert len(page.select("#clause-results tbody tr")) == 3
    search = page.select_one("form[role=search]")
    assert "delay:" in search["hx-trigger"] and search["hx-target"] == "#clause-results"
    # French stemming, accents optional, a typo, a word being typed, a legal reference.
    for query, expected in [
        ("réversibilité", "reversibilite.plan-de-reversibilite"),
        ("qualification secnumcloud", "donnees.hebergement-secnumcloud"),
        ("sous-critèr", "environnement.critere-environnemental"),
        ("pondér", "environnement.critere-environnemental"),
        ("L2152-7", "environnement.critere-environnemental"),
    ]:
        fragment = soup(
            client.get("/clauses/", query_string={"q": query}, headers={"HX-Request": "true"})
        )
        assert fragment.select_one("html") is None
        keys = [c.get_text() for c in fragment.select("#clause-results tbody tr code")]
        assert keys and keys[0] == expected, (query, keys)
    rows = soup(client.get("/clauses/?status=approved")).select("#clause-results tbody tr")
    assert len(rows) == 1
    rows = soup(client.get("/clauses/?condition=sensitive_data&piece=CCAP")).select(
        "#clause-results tbody tr code"
    )
    assert [r.get_text() for r in rows] == ["donnees.hebergement-secnumcloud"]
    rows = soup(client.get("/clauses/?family=environnement&q=séquestre")).select(
        "#clause-results tbody tr"
    )
    assert rows == []


def test_clause_page_shows_text_variables_references_and_timeline(
    client, login, session, library, jurists
):
    author, reviewer = jurists
    # A fourth clause, with variants (the environmental criterion no longer has any).
    shutil.copy(
        ROOT / "clauses/environnement/declaration-empreinte.md",
        library / "environnement/declaration-empreinte.md",
    )
    report = service.sync_directory(session=session, actor=actor(author), directory=library)
    assert not report.errors and len(report.created) == len(SAMPLE) + 1
    approve_all(session, author, reviewer, "environnement.critere-environnemental")
    approve_all(session, author, reviewer, "environnement.declaration-empreinte")
    approve_all(session, author, reviewer, "donnees.hebergement-secnumcloud")
    login("buyer")
    page = soup(client.get("/clauses/environnement.critere-environnemental"))
    body = page.select_one("#clause-text .clause-body").get_text(" ", strip=True)
    # The weight and method live in the tender: outside one, the clause names what it will print.
    assert "pondéré à [valeur du marché : pondération du critère environnemental]" in body
    assert "[valeur du marché : sous-critères du critère environnemental]" in body
    assert "15 %" not in body and "logarithmique" not in body
    assert "L2152-7" in page.select_one("#references").get_text()
    steps = [li.get_text(" ", strip=True) for li in page.select("#timeline li")]
    assert len(steps) == 3 and "approuvé" in steps[-1]
    page = soup(client.get("/clauses/environnement.declaration-empreinte"))
    body = page.select_one("#clause-text .clause-body").get_text(" ", strip=True)
    assert "mesurées sur l'infrastructure de production" in body  # default variant
    assert "estimées par un modèle de calcul" not in body
    other = soup(client.get("/clauses/donnees.hebergement-secnumcloud"))
    names = [td.get_text() for td in other.select("#variables tbody tr td:first-child")]
    assert "pays_hebergement" in names
    other = soup(client.get("/clauses/environnement.declaration-empreinte?variante=estimee"))
    assert "estimées par un modèle de calcul" in other.select_one("#clause-text").get_text(
        " ", strip=True
    )
    assert other.select_one("#actions") is None  # a buyer reads, does not review


def test_legal_user_creates_edits_submits_and_another_approves_in_the_ui(
    client, login, session, make_user
):
    author = login("legal")
    form = {
        "family": "competences",
        "name": "atelier-essai",
        "title": "Atelier d'essai",
        "piece": "CCAP",
        "summary": "Une clause créée dans l'interface.",
        "covers": ["competences"],
        "variables": "- name: duree_jours\n  type: integer\n  label: Durée (jours)\n  default: 2\n  min: 1\n  max: 10\n",
        "body": "Le titulaire anime un atelier de {{ duree_jours }} jours.",
    }
    bad = client.post(
        "/clauses/nouvelle", data={**form, "body": "Atelier de {{ duree_jours.__class__ }} jours."}
    )
    assert bad.status_code == 422
    page = soup(bad)
    assert "code de gabarit interdit" in page.select_one("#err-body").get_text()
    assert page.select_one("#f-body")["aria-invalid"] == "true"
    assert page.select_one("#f-title")["value"] == "Atelier d'essai"  # nothing lost
    assert (
        session.exec(select(Clause).where(Clause.key == "competences.atelier-essai")).first()
        is None
    )
    bad = client.post(
        "/clauses/nouvelle",
        data={
            **form,
            "variables": "- name: x\n  type: integer\n  label: X\n  default: 99\n  max: 10\n",
        },
    )
    assert bad.status_code == 422 and "maximum" in soup(bad).select_one("#err-variables").get_text()
    created = client.post("/clauses/nouvelle", data=form)
    assert created.status_code == 303, created.get_data(as_text=True)[:2000]
    page = soup(client.get(created.headers["Location"]))
    assert "atelier de 2 jours" in page.select_one("#clause-text").get_text()
    edit = soup(client.get("/clauses/competences.atelier-essai/versions/1/modifier"))
    lock = edit.select_one("input[name=lock_version]")["value"]
    base = edit.select_one("input[name=base_text]")["value"]
    saved = client.post(
        "/clauses/competences.atelier-essai/versions/1/modifier",
        data={
            **form,
            "lock_version": lock,
            "base_text": base,
            "body": "Le titulaire anime un atelier pratique de {{ duree_jours }} jours.",
        },
    )
    assert saved.status_code == 303
    assert client.post("/clauses/competences.atelier-essai/versions/1/submit").status_code == 303
    refused = client.post("/clauses/competences.atelier-essai/versions/1/approve")
    assert refused.status_code == 403 and "quatre yeux" in soup(refused).get_text()
    client.post("/logout")
    login("legal")
    page = soup(client.get("/"))
    assert "Atelier d'essai" in page.get_text()  # on the reviewer's home page
    rejected = client.post(
        "/clauses/competences.atelier-essai/versions/1/reject", data={"comment": ""}
    )
    assert rejected.status_code == 422
    assert "obligatoire" in soup(rejected).select_one("#err-reject-comment").get_text()
    assert (
        client.post(
            "/clauses/competences.atelier-essai/versions/1/approve",
            data={"comment": "Bon pour moi."},
        ).status_code
        == 303
    )
    version = version_of(session, "competences.atelier-essai")
    assert version.status == "approved" and version.author_id == author.id
    assert "pratique" in version.body


def test_second_save_of_a_draft_is_a_conflict_showing_the_other_change(
    client, login, session, library, jurists
):
    first, second = jurists
    synced(session, library, first)
    key = "reversibilite.plan-de-reversibilite"
    url = f"/clauses/{key}/versions/1/modifier"
    login(user=first, password="motdepasse-test")
    opened = soup(client.get(url))
    form = browser_form(opened)
    # Meanwhile the second jurist saves a change.
    version = version_of(session, key)
    data = service.form_of(*service.get_version_by_number(session=session, key=key, number=1))
    service.update_draft(
        session=session,
        actor=actor(second),
        version_id=version.id,
        lock_version=version.lock_version,
        data={
            **data,
            "body": data["body"].replace("un plan de réversibilité", "un plan de sortie"),
        },
    )
    mine = form["body"].replace("sans perte de données", "sans la moindre perte de données")
    response = client.post(url, data={**form, "body": mine})
    assert response.status_code == 409
    page = soup(response)
    assert "pendant que vous le modifiiez" in page.select_one("#form-error").get_text()
    assert [d.get_text() for d in page.select("#conflict pre del")] == ["réversibilité"]
    assert [i.get_text() for i in page.select("#conflict pre ins")] == ["sortie"]
    assert "sans la moindre perte" in page.select_one("#f-body").get_text()  # my text kept
    stored = version_of(session, key)
    assert "plan de sortie" in stored.body and "la moindre" not in stored.body
    # Saving again from the conflict page (now based on the current lock) succeeds.
    retry = {f["name"]: f.get("value", "") for f in page.select("#clause-form input[type=hidden]")}
    assert client.post(url, data={**form, **retry, "body": mine}).status_code == 303


def test_compare_two_versions_by_htmx_and_plain_get(client, login, session, library, jurists):
    author, reviewer = jurists
    synced(session, library, author)
    key = "donnees.hebergement-secnumcloud"
    approve_all(session, author, reviewer, key)
    path = library / SAMPLE[2]
    path.write_text(
        path.read_text(encoding="utf-8").replace("dans sa version", "au minimum dans sa version"),
        encoding="utf-8",
    )
    service.sync_directory(session=session, actor=actor(author), directory=library)
    v1, v2 = version_of(session, key, 1), version_of(session, key, 2)
    login("buyer")
    page = soup(client.get(f"/clauses/{key}"))
    form = page.select_one("form[hx-get$='/comparer']")
    assert form["hx-target"] == "#compare-result" and page.select_one("#compare-result") is not None
    fragment = soup(
        client.get(f"/clauses/{key}/comparer?a={v1.id}&b={v2.id}", headers={"HX-Request": "true"})
    )
    assert fragment.select_one("html") is None
    assert [i.get_text() for i in fragment.select("#compare-result .diff-body ins")] == [
        " au minimum"
    ]
    full = soup(client.get(f"/clauses/{key}/comparer?a={v1.id}&b={v2.id}"))
    assert full.select_one("html") and full.select_one("#compare-result .diff-body ins")


@pytest.mark.parametrize(
    "role,method,url,expected",
    [
        ("buyer", "get", "/clauses/", 200),
        ("sourcing", "get", "/clauses/", 403),
        ("buyer", "get", "/clauses/nouvelle", 403),
        ("buyer", "post", "/clauses/reversibilite.plan-de-reversibilite/versions/1/submit", 403),
        ("legal", "get", "/clauses/nouvelle", 200),
        ("legal", "get", "/clauses/donnees.inconnue", 404),
    ],
)
def test_access_rules(client, login, role, method, url, expected):
    login(role)
    assert getattr(client, method)(url).status_code == expected


def test_editing_an_approved_version_creates_the_next_draft(
    client, login, session, library, jurists
):
    author, reviewer = jurists
    synced(session, library, author)
    key = "donnees.hebergement-secnumcloud"
    approve_all(session, author, reviewer, key)
    login("legal")
    page = soup(client.get(f"/clauses/{key}/versions/1/modifier"))
    assert "Nouvelle version" in page.select_one("h1").get_text()
    form = service.form_of(*service.get_version_by_number(session=session, key=key, number=1))
    response = client.post(
        f"/clauses/{key}/versions/1/modifier",
        data={
            **posted(form),
            "body": form["body"] + "\n\nLe titulaire informe l'acheteur sans délai.",
        },
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("version=2")
    v1, v2 = version_of(session, key, 1), version_of(session, key, 2)
    assert v1.status == "approved" and "sans délai" not in v1.body
    assert v2.status == "draft" and v2.body.endswith("sans délai.")


def test_a_refused_draft_save_keeps_the_form_lock_and_base_text(
    client, login, session, library, jurists
):
    author, _reviewer = jurists
    synced(session, library, author)
    key = "reversibilite.plan-de-reversibilite"
    url = f"/clauses/{key}/versions/1/modifier"
    login(user=author, password="motdepasse-test")
    opened = soup(client.get(url))
    lock = opened.select_one("input[name=lock_version]")["value"]
    base = opened.select_one("input[name=base_text]")["value"]
    form = service.form_of(*service.get_version_by_number(session=session, key=key, number=1))
    response = client.post(
        url,
        data={
            **posted(form),
            "title": "Titre changé",
            "body": "Texte avec {{ inconnue }}.",
            "lock_version": lock,
            "base_text": base,
        },
    )
    assert response.status_code == 422
    page = soup(response)
    assert "non déclarée" in page.select_one("#err-body").get_text()
    assert page.select_one("#f-title")["value"] == "Titre changé"  # nothing lost
    assert page.select_one("input[name=lock_version]")["value"] == lock
    assert page.select_one("input[name=base_text]")["value"] == base
    assert version_of(session, key).title != "Titre changé"


def test_a_refused_deprecation_shows_the_clause_page_with_the_error(
    client, login, session, library, jurists
):
    author, reviewer = jurists
    synced(session, library, author)
    key = "reversibilite.plan-de-reversibilite"
    approve_all(session, author, reviewer, key)
    login(user=author, password="motdepasse-test")
    response = client.post(f"/clauses/{key}/versions/1/deprecate", data={"comment": " "})
    assert response.status_code == 422
    page = soup(response)
    assert "remplace" in page.select_one("#err-replaced-by").get_text()
    assert page.select_one("#version-status").get_text() == "approuvée"
    assert version_of(session, key).status == "approved"
