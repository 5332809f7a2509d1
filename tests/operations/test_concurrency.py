"""Shared code called from the web server's threads at once (found by the load test)."""

from __future__ import annotations

import sys
import threading

from procure.clause_library.services.search import terms

TEXT = (
    "Réversibilité des données et accompagnement à la sortie : le titulaire restitue les "
    "données, les traitements paramétrés, la documentation et les journaux dans des formats "
    "ouverts ; les prestations de réversibilité sont rémunérées au bordereau des prix unitaires."
)


def test_library_search_terms_are_thread_safe():
    expected = terms(TEXT)
    problems: list[str] = []
    start = threading.Barrier(8)

    def work() -> None:
        start.wait()
        for _ in range(300):
            try:
                got = terms(TEXT)
            except Exception as exc:  # noqa: BLE001 - what the load test saw: IndexError
                problems.append(repr(exc))
                return
            if got != expected:
                problems.append("stems differ")
                return

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, as a busy server does
    try:
        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert problems == []
