"""The former small-input attacks of issue 10, timed now, each next to the normal input of the
same parser in the same run (the ratio says what the attack still costs).

Run: `make bench PYTEST_ARGS=benchmarks/test_bench_security.py`; figures in docs/security.md.
"""

from __future__ import annotations

import random
import statistics

import pytest

from procure.clause_library.services import parse_clause_text, word_diff
from procure.clause_library.services.clause_spec import ClauseFormatError
from procure.core.errors import DomainError, ValidationError
from procure.documents import reader
from procure.evaluation import footprint as fp
from sourcing.cpv import search_cpv
from tests.clause_library.test_clauselib import GOOD
from tests.core.test_input_bounds import _odt, alias_bomb

MEDIANS: dict[str, float] = {}


def _refused(fn, *args, error=Exception):
    def run():
        try:
            fn(*args)
        except error:
            return True
        return False

    return run


def _rnd_words(n: int, prefix: str, seed: int) -> str:
    rng = random.Random(seed)
    return " ".join(f"{prefix}{rng.randrange(10**6)}" for _ in range(n))


CLAUSE_FILE = "clauses/reversibilite/essai.md"
BOMB = GOOD.replace("---\nkey:", "---\n" + alias_bomb() + "\nkey:", 1)
rng = random.Random(7)
LONG_QUERY = " ".join(
    ["logiciel", "gestion"]
    + ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(8)) for _ in range(60_000)]
)
CASES = {
    # name: (normal input run, attack run)
    "declaration_long_line": (
        lambda: fp.parse_declaration("champ,valeur\npue,1.2\n", "d.csv"),
        _refused(fp.parse_declaration, "champ," + "x," * 24_000, "d.csv", error=ValidationError),
    ),
    "yaml_alias_bomb": (
        lambda: parse_clause_text(GOOD, filename=CLAUSE_FILE),
        _refused(lambda: parse_clause_text(BOMB, filename=CLAUSE_FILE), error=ClauseFormatError),
    ),
    "cpv_500_kb": (
        lambda: search_cpv("logiciel de gestion"),
        lambda: search_cpv(LONG_QUERY),
    ),
    "word_diff_20k_unrelated": (
        lambda: word_diff(_rnd_words(300, "a", 1), _rnd_words(300, "a", 2)),
        lambda: word_diff(_rnd_words(20_000, "a", 1), _rnd_words(20_000, "b", 2)),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("kind", ["normal", "attack"])
def test_bench_attack(benchmark, name, kind):
    normal, attack = CASES[name]
    fn = normal if kind == "normal" else attack
    benchmark.pedantic(fn, rounds=3, iterations=1, warmup_rounds=1)
    MEDIANS[f"{name}:{kind}"] = statistics.median(benchmark.stats.stats.data)
    other = MEDIANS.get(f"{name}:{'attack' if kind == 'normal' else 'normal'}")
    if other:
        a, n = (MEDIANS[f"{name}:attack"], MEDIANS[f"{name}:normal"])
        benchmark.extra_info["attack_over_normal"] = round(a / n, 1)
        print(f"\n{name}: normal {n * 1000:.1f} ms, attack {a * 1000:.1f} ms, ratio {a / n:.1f}")


def test_bench_odt_space_bomb(benchmark, tmp_path):
    """The 205-byte ODT that asked for 4 GB, read back as `procure verify` does."""
    path = _odt(tmp_path / "bombe.odt", '<text:p>a<text:s text:c="4000000000"/>b</text:p>')
    result = benchmark.pedantic(reader.read_paragraphs, args=(path,), rounds=5, iterations=1)
    assert len(result[0]) == reader.MAX_SPACES + 2


def test_bench_zip_bomb_member(benchmark, tmp_path):
    """A content.xml that inflates past the cap: refused after reading at most the cap."""
    path = _odt(tmp_path / "gros.odt", "<text:p>x</text:p>", b"<!--" + b" " * 60_000_000 + b"-->")
    run = _refused(reader.read_paragraphs, path, error=DomainError)
    assert benchmark.pedantic(run, rounds=3, iterations=1)


@pytest.fixture(scope="module")
def accounts_db(tmp_path_factory):
    from sqlmodel import Session, SQLModel

    import procure.schema  # noqa: F401
    from procure.accounts import services as accounts
    from procure.core.audit import Actor
    from procure.core.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('bench-login') / 'b.db'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as session:
        accounts.create_user(
            session=session,
            actor=Actor.system("bench"),
            email="connu@bench.procure.fr",
            password="mot-de-passe-bench",
            roles=["buyer"],
        )
        yield session, accounts
    engine.dispose()


@pytest.mark.parametrize("who", ["connu", "inconnu"])
def test_bench_failed_login(benchmark, accounts_db, who):
    """A failed login on a known and on an unknown account: the same cost (one hash check)."""
    session, accounts = accounts_db
    limits = accounts.throttle.Limits(account=10**9, address=10**9)
    benchmark.pedantic(
        accounts.authenticate,
        kwargs={
            "session": session,
            "email": f"{who}@bench.procure.fr",
            "password": "mauvais-mot-de-passe",
            "limits": limits,
        },
        rounds=5,
        iterations=1,
    )
    MEDIANS[f"login:{who}"] = statistics.median(benchmark.stats.stats.data)
    if len([k for k in MEDIANS if k.startswith("login:")]) == 2:
        known, unknown = MEDIANS["login:connu"], MEDIANS["login:inconnu"]
        print(f"\nlogin failed: known {known * 1000:.0f} ms, unknown {unknown * 1000:.0f} ms")
