"""Real `procure` processes for the operations tests: start, wait until ready, signal, kill."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

PROCURE = str(Path(sys.executable).with_name("procure"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def instance_env(instance: Path, db_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURE_")}
    env.update(
        PROCURE_INSTANCE_PATH=str(instance),
        PROCURE_DATABASE_URL=db_url,
        PROCURE_LANCEDB_URI=str(instance / "lancedb"),
        PROCURE_SECRET_KEY="test-secret",
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def procure(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PROCURE, *args], env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


class Server:
    """`procure serve` in a child process, on a free port of 127.0.0.1."""

    def __init__(self, env: dict[str, str], log: Path, threads: int = 4):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = open(log, "a")  # noqa: SIM115 - closed in wait()/kill()
        self.proc = subprocess.Popen(
            [PROCURE, "serve", "--port", str(self.port), "--threads", str(threads)],
            env=env,
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def wait_ready(self, timeout: float = 90) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"le serveur s'est arrêté : {self.log.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as resp:
                    return json.loads(resp.read())
            except OSError:
                time.sleep(0.2)
        raise AssertionError(f"serveur pas prêt en {timeout} s : {self.log.read_text()}")

    def signal(self, signum: int) -> None:
        self.proc.send_signal(signum)

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._out.close()

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)
        self._out.close()


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            return
        if proc.poll() is not None:
            raise AssertionError("le processus s'est arrêté avant le point de faute")
        time.sleep(0.05)
    raise AssertionError(f"point de faute non atteint en {timeout} s")


DEMO_DECP = Path(__file__).parents[2] / "sourcing" / "data" / "decp_demo.json"


def write_big_decp(path: Path, copies: int = 10) -> Path:
    """The 300 demo contracts, `copies` times with distinct ids (3 000 by default)."""
    marches = json.loads(DEMO_DECP.read_text())["marches"]
    out = [
        dict(m, id=f"{m.get('id')}-{k}", uid=f"{m.get('uid', '')}-{k}")
        for k in range(copies)
        for m in marches
    ]
    path.write_text(json.dumps({"marches": out}))
    return path


def limited(max_file_bytes: int):
    """preexec_fn: a file-size limit (RLIMIT_FSIZE) as a full disk, writes failing with EFBIG."""
    import resource

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_file_bytes, max_file_bytes))

    return apply
