"""`procure serve` stops on SIGTERM and SIGINT, with a real process (issue 15)."""

from __future__ import annotations

import signal
import time

import pytest

from .procs import Server, instance_env


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_exits_cleanly_on_signal(tmp_path, db_url, signum):
    instance = tmp_path / "instance"
    server = Server(instance_env(instance, db_url), tmp_path / "serve.log")
    try:
        health = server.wait_ready()
        assert health["status"] == "ok"
        started = time.monotonic()
        server.signal(signum)
        code = server.wait(timeout=10)
        elapsed = time.monotonic() - started
    finally:
        server.kill()
    log = (tmp_path / "serve.log").read_text()
    assert code == 0, log
    assert elapsed < 8, f"arrêt en {elapsed:.1f} s"
    assert "Procure est arrêté." in log
