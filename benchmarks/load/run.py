"""`make load`: the load test of issue 15, from an empty folder to a table of figures.

1. builds a demo instance (SQLite in WAL mode, or PostgreSQL with `--db postgresql`);
2. starts `procure serve` on 127.0.0.1 and runs locust headless (`locustfile.py`), bounded by
   `--run-time`, stopping by itself;
3. checks there is no lost update: two buyers save the same tender from the same version at the
   same moment, and the optimistic lock must refuse exactly one (409);
4. stops the server with SIGTERM and prints rps, p50/p95/p99 per action, errors and 5xx.

Only 127.0.0.1 is ever targeted.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from forms import csrf_token, form_fields  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url(kind: str, folder: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{folder / 'procure.db'}"
    from sqlalchemy import create_engine, text

    server = os.environ.get("PROCURE_LOAD_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
    name = "procure_load"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server}/{name}"


def procure(*args: str, env: dict) -> None:
    subprocess.run([str(BIN / "procure"), *args], env=env, check=True, stdout=subprocess.DEVNULL)


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("le serveur s'est arrêté au démarrage")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("serveur pas prêt")


def lost_update_check(base: str) -> dict:
    """Two buyers save the same tender from the same version at once: one must get 409."""
    import requests

    sessions = []
    for _ in range(2):
        s = requests.Session()
        token = csrf_token(s.get(base + "/login", timeout=30).text)
        resp = s.post(
            base + "/login",
            data={
                "email": "acheteur@demo.procure.fr",
                "password": "demo-acheteur-2026",
                "csrf_token": token,
            },
            timeout=30,
        )
        sessions.append((s, csrf_token(resp.text)))
    forms = []
    for i, (s, _token) in enumerate(sessions):
        fields = form_fields(s.get(base + "/tenders/1/edit", timeout=30).text, "form#tender-form")
        fields = [
            (k, f"Marché testé en charge, version {i}" if k == "title" else v) for k, v in fields
        ]
        forms.append(fields)
    statuses: list[int] = [0, 0]
    barrier = threading.Barrier(2)

    def save(i: int) -> None:
        s, token = sessions[i]
        barrier.wait()
        statuses[i] = s.post(
            base + "/tenders/1/edit",
            data=forms[i],
            headers={"X-CSRFToken": token},
            allow_redirects=False,
            timeout=60,
        ).status_code

    threads = [threading.Thread(target=save, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sorted(statuses) in ([302, 409], [303, 409])
    return {"statuses": statuses, "one_refused": ok}


def read_stats(prefix: Path) -> tuple[list[dict], int]:
    with open(f"{prefix}_stats.csv") as fh:
        rows = list(csv.DictReader(fh))
    five_xx = 0
    failures = Path(f"{prefix}_failures.csv")
    if failures.exists():
        with open(failures) as fh:
            for row in csv.DictReader(fh):
                if "500" in row["Error"] or "502" in row["Error"] or "503" in row["Error"]:
                    five_xx += int(row["Occurrences"])
    return rows, five_xx


def table(rows: list[dict]) -> str:
    lines = [
        "| action | requêtes | échecs | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        name = "**total**" if r["Name"] == "Aggregated" else r["Name"]
        lines.append(
            f"| {name} | {r['Request Count']} | {r['Failure Count']} | "
            f"{float(r['Requests/s']):.2f} | {r['50%']} | {r['95%']} | {r['99%']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=float, default=2)
    parser.add_argument("--run-time", default="10m")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--threads", type=int, default=8, help="fils de waitress")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix=f"procure-load-{args.db}-"))
    out = args.out or work / "results"
    out.mkdir(parents=True, exist_ok=True)
    instance = work / "instance"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROCURE_")}
    env.update(
        PROCURE_INSTANCE_PATH=str(instance),
        PROCURE_DATABASE_URL=database_url(args.db, instance if args.db == "sqlite" else work),
        PROCURE_LANCEDB_URI=str(instance / "lancedb"),
    )
    instance.mkdir(parents=True, exist_ok=True)
    print(f"Instance de démonstration dans {instance} ({args.db})…", flush=True)
    procure("db", "upgrade", env=env)
    procure("demo", env=env)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(out / "serve.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [str(BIN / "procure"), "serve", "--host", "127.0.0.1", "--port", str(port),
         "--threads", str(args.threads)],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_ready(base, server)
        print(f"Locust : {args.users} utilisateurs pendant {args.run_time} sur {base}", flush=True)
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(HERE / "locustfile.py"), "--headless",
             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.run_time,
             "--host", base, "--csv", str(out / "stats"), "--only-summary",
             "--stop-timeout", "30", "--exit-code-on-error", "0"],
            check=True, timeout=24 * 3600,
        )  # fmt: skip
        elapsed = time.monotonic() - started
        lock = lost_update_check(base)
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            code = server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            code = "tué après 30 s"
        log.close()
    rows, five_xx = read_stats(out / "stats")
    summary = {
        "db": args.db,
        "users": args.users,
        "run_time": args.run_time,
        "elapsed_s": round(elapsed),
        "cpus": os.cpu_count(),
        "five_xx": five_xx,
        "lost_update_check": lock,
        "server_exit_on_sigterm": code,
    }
    text = table(rows) + "\n\n" + json.dumps(summary, ensure_ascii=False, indent=2)
    (out / "summary.md").write_text(text + "\n")
    print(text)
    print(f"\nRésultats : {out}")
    if five_xx or not lock["one_refused"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
