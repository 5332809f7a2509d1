"""The sourcing room's import form and job page, as a person reads them."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlmodel import select

from procure.core.models import Job
from tests.conftest import soup
from tests.factories import DATA


def _upload(client, data: dict, file: tuple[bytes, str] | None = None):
    if file:
        data = data | {"fichier": (io.BytesIO(file[0]), file[1])}
    return client.post("/sourcing/import", data=data, content_type="multipart/form-data")


def test_import_error_keeps_the_file_with_one_banner(client, login, session, app, make_user):
    owner = login("sourcing")
    body = (DATA / "decp_extract.json").read_bytes()
    r = _upload(client, {"format": ""}, (body, "decp_extract.json"))
    assert r.status_code == 422
    page = soup(r)
    assert len(page.select(".error-summary")) == 1  # one banner, beside the import form
    assert page.select_one("#import-error a[href='#f-format']")
    assert page.select_one("#f-format")["aria-invalid"] == "true"
    held = page.select_one("#held-file").get_text(" ", strip=True)
    assert held.startswith("Fichier conservé : decp_extract.json")
    token = page.select_one("input[name=fichier_conserve]")["value"]
    held_dir = Path(app.config["INSTANCE_PATH"]) / "uploads" / "held"
    kept = list(held_dir.glob("*.bin"))
    assert len(kept) == 1 and kept[0].read_bytes() == body
    assert token and token not in kept[0].read_text(errors="ignore")
    # Refused again (still no format): the same file is still kept, under the same token.
    r = _upload(client, {"format": "", "fichier_conserve": token})
    assert r.status_code == 422
    assert soup(r).select_one("input[name=fichier_conserve]")["value"] == token

    # Another person cannot use the token: to them there is no file.
    client.post("/logout")
    login(user=make_user("sourcing", email="autre@test.procure.fr", password="motdepasse-test"))
    r = _upload(client, {"format": "decp", "fichier_conserve": token})
    assert r.status_code == 422
    assert "Choisissez un fichier" in soup(r).select_one("#err-fichier").text
    assert not soup(r).select("#held-file")

    # Its owner imports it without choosing it again; the held copy is then released.
    client.post("/logout")
    login(user=owner)
    r = _upload(client, {"format": "decp", "fichier_conserve": token})
    assert r.status_code == 303
    page = soup(client.get(r.headers["Location"]))
    cells = [td.get_text(strip=True) for td in page.select("table.counts tbody td")]
    assert cells[0] == "43"
    assert not list(held_dir.glob("*"))
    job = session.exec(select(Job).where(Job.kind == "sourcing.import")).one()
    assert job.params["filename"] == "decp_extract.json"


def test_a_forged_token_is_no_file(client, login):
    login("sourcing")
    for token in ("../../../etc/passwd", "x" * 30, ""):
        r = _upload(client, {"format": "decp", "fichier_conserve": token})
        assert r.status_code == 422, token
        assert soup(r).select_one("#err-fichier")


@pytest.mark.parametrize(
    ("status", "progress", "total", "message", "seen", "polls"),
    [
        ("done", 0, 3, "jugement en cours", "100 %", False),
        ("done", 0, 0, "", "100 %", False),
        ("running", 1, 4, "jugement en cours", "25 %", True),
        ("queued", 0, 0, "", "0 %", True),
        ("failed", 2, 4, "Ligne 3 : montant invalide.", "Tâche échouée à 50 %", False),
        ("interrupted", 0, 3, "Tâche interrompue (arrêt du serveur)", "Tâche interrompue", False),
    ],
)
def test_job_page_progress_agrees_with_its_state(
    client, login, session, status, progress, total, message, seen, polls
):
    user = login("sourcing")
    job = Job(
        kind="sourcing.judge",
        label="Jugement des 3 premiers (recherche n° 1)",
        status=status,
        progress=progress,
        total=total,
        message=message,
        params={"search_id": 1, "k": 3},
        result={"search_id": 1, "judged": 3} if status == "done" else {},
        created_by=user.id,
    )
    session.add(job)
    session.commit()
    r = client.get(f"/sourcing/taches/{job.id}")
    assert r.status_code == 200
    box = soup(r).select_one("#job")
    text = box.get_text(" ", strip=True)
    assert seen in text
    assert bool(box.get("hx-get")) == polls  # the polling stops when the job has ended
    if status == "done":
        assert "0 %" not in text.replace("100 %", "") and "en cours" not in text
        assert "Jugement terminé : 3 résultat(s)" in text
    if status in ("failed", "interrupted"):
        assert box.select_one("[role=alert]") and message in text
    # The htmx poll gets the same fragment.
    fragment = soup(client.get(f"/sourcing/taches/{job.id}", headers={"HX-Request": "true"}))
    assert fragment.select_one("#job").get_text(" ", strip=True) == text
