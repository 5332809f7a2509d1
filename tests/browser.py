"""Real headless Chromium for the end-to-end tests of every room (a pytest plugin).

Fixtures: `browser` (Playwright driving Debian's Chromium) and `live_server` (the test app served
on a free port). Helpers: `log_in` (through the login form), `assert_accessible` (axe-core, zero
serious or critical violations) and `screenshot` (kept in docs/screenshots when
PROCURE_SCREENSHOTS is set: `make screenshots`).
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = ("serious", "critical")


@pytest.fixture
def browser():
    if not CHROMIUM:
        if IN_CI:
            pytest.fail("Chromium est requis en CI (paquet Debian chromium).")
        pytest.skip("Chromium absent de ce poste")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live_server(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def log_in(page, live_server: str, email: str, password: str, then: str = "/") -> None:
    """Log in through the form, as a person does, and land on `then`."""
    page.goto(f"{live_server}/login?next={then}")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"{live_server}{then}")


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}) : {v['help']} — "
        + " | ".join(", ".join(n["target"]) for n in v["nodes"][:5])
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def assert_accessible(page) -> None:
    found = serious_violations(page)
    assert found == [], f"{page.url}:\n" + "\n".join(found)


def screenshot(page, name: str) -> None:
    """Keep a full-page screenshot for the docs when PROCURE_SCREENSHOTS names a folder."""
    folder = os.environ.get("PROCURE_SCREENSHOTS")
    if folder:
        import io

        from PIL import Image

        Path(folder).mkdir(parents=True, exist_ok=True)
        shot = Image.open(io.BytesIO(page.screenshot(full_page=True)))
        # 256 colours are plenty for a page of text: a fifth of the size in the repository
        shot.convert("RGB").quantize(colors=256).save(Path(folder) / f"{name}.png", optimize=True)
