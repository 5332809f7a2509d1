"""Jobs on Redis: a Redis restart in the middle of a job is survived (issue 15).

The test runs its own Debian `redis-server` on a free port (not the shared one), restarts it
while a job is in hand, then checks the job finished and the queue still takes new jobs.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import redis

from procure.core import jobs
from procure.core.audit import Actor
from procure.core.db import session_scope
from procure.core.models import Job

from .procs import free_port

RELEASE = threading.Event()
STARTED = threading.Event()


@jobs.handler("test.wait_for_release")
def _wait(*, session, params, progress, actor, resources):
    STARTED.set()
    assert RELEASE.wait(30), "jamais libérée"
    progress(1, 1, "libérée")
    return {"ok": True}


class RedisServer:
    def __init__(self, folder: Path, port: int):
        self.folder, self.port = folder, port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir",
             str(self.folder), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        for _ in range(100):
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("redis-server ne démarre pas")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def _wait_status(engine, job_id: int, wanted: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    status = ""
    while time.monotonic() < deadline:
        with session_scope(engine) as s:
            status = s.get(Job, job_id).status
        if status == wanted:
            break
        time.sleep(0.1)
    return status


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server absent (Debian)")
def test_redis_restart_mid_job_is_survived(tmp_path, db_url):
    from procure.app import create_app

    server = RedisServer(tmp_path, free_port())
    server.start()
    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "q"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x",
            "REDIS_URL": f"redis://127.0.0.1:{server.port}/0",
        }
    )
    queue, engine = app.extensions["procure.jobs"], app.extensions["procure.engine"]
    queue.start_consumer()
    RELEASE.clear()
    STARTED.clear()
    try:
        with session_scope(engine) as s:
            first = jobs.submit(
                session=s,
                queue=queue,
                actor=Actor.system(),
                kind="test.wait_for_release",
                params={},
            )
        assert STARTED.wait(30)
        server.stop()  # Redis goes away while the job is in hand...
        time.sleep(1)
        server.start()  # ...and comes back empty (no persistence)
        RELEASE.set()
        assert _wait_status(engine, first.id, "done") == "done"
        with session_scope(engine) as s:
            second = jobs.submit(
                session=s,
                queue=queue,
                actor=Actor.system(),
                kind="test.wait_for_release",
                params={},
            )
        assert _wait_status(engine, second.id, "done", timeout=60) == "done"
    finally:
        RELEASE.set()
        queue.stop_consumer(timeout=5)
        server.stop()
        engine.dispose()


@pytest.mark.skipif(not shutil.which("redis-server"), reason="redis-server absent (Debian)")
def test_submit_while_redis_is_down_fails_clearly(tmp_path, db_url):
    from procure.app import create_app
    from procure.core.errors import DomainError

    app = create_app(
        {
            "INSTANCE_PATH": str(tmp_path / "q"),
            "DATABASE_URL": db_url,
            "SECRET_KEY": "x",
            "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nobody listens there
        }
    )
    engine = app.extensions["procure.engine"]
    try:
        with session_scope(engine) as s, pytest.raises(DomainError) as refused:
            jobs.submit(
                session=s,
                queue=app.extensions["procure.jobs"],
                actor=Actor.system(),
                kind="test.wait_for_release",
                params={},
            )
        assert refused.value.status == 503 and "injoignable" in refused.value.message
        with session_scope(engine) as s:
            [job] = s.exec(jobs.select(Job)).all()
            assert job.status == "failed"  # not "queued" forever
    finally:
        engine.dispose()
