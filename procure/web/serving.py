"""`procure serve`: waitress and the in-process job consumer, stopped cleanly on a signal.

On SIGTERM (a service manager's stop) or SIGINT (Ctrl+C) the server stops accepting
connections, lets requests in progress finish (waitress waits up to 5 s), then stops the job
consumer: a job in hand stops at its next progress checkpoint, its uncommitted work rolled
back and the job marked interrupted, or finishes if it gets there first. Jobs left "running"
by a process that died without that chance (kill -9) are marked interrupted at start.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
from typing import Any

from flask import Flask

log = logging.getLogger(__name__)


class _Stop(SystemExit):
    """Raised in the main thread by the signal handler; waitress's loop ends on SystemExit."""


def serve(app: Flask, *, host: str, port: int, threads: int, echo: Any = print) -> None:
    from waitress import create_server

    from procure.core.jobs import recover_interrupted

    queue = app.extensions["procure.jobs"]
    engine = app.extensions["procure.engine"]
    interrupted = recover_interrupted(engine)
    if interrupted:
        echo(
            "Tâches interrompues par un arrêt brutal : "
            + ", ".join(str(i) for i in interrupted)
            + " (relancez-les avec `procure jobs rerun ID`)."
        )
    server = create_server(app, host=host, port=port, threads=threads)
    received: list[int] = []

    def _on_signal(signum: int, _frame: Any) -> None:
        if received:  # a second signal: stop waiting
            raise SystemExit(1)
        received.append(signum)
        raise _Stop(0)

    previous = {sig: signal.signal(sig, _on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    if app.config["JOBS_INPROCESS"]:
        queue.start_consumer()
    echo(f"Procure est servi sur http://{host}:{port} (Ctrl+C pour arrêter)")
    try:
        # waitress drains its threads and returns on SystemExit; a _Stop that arrives outside
        # its loop (during start) ends here, and the finally block stops everything alike.
        with contextlib.suppress(_Stop):
            server.run()
    finally:
        if received:
            echo(f"Arrêt demandé ({signal.Signals(received[0]).name}) : arrêt en cours…")
        server.close()
        queue.stop_consumer(timeout=float(app.config.get("SHUTDOWN_TIMEOUT", 5)))
        model_freed = app.extensions["procure.model"].close()
        engine.dispose()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    echo("Procure est arrêté.")
    if not model_freed:
        # The model is still loading in its thread: everything of ours is stopped and committed,
        # so end here rather than let the interpreter's teardown run under llama.cpp.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
