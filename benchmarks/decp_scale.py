"""A national-size DECP file made from real records, multiplied and perturbed (issue 13).

Every copy of a real contract gets its own id, a date moved by a few days and an amount moved by a
few per cent; winners are given new, valid SIRENs every `SHARE` copies (the Luhn keys recomputed,
the first digit kept so that public bodies stay public bodies), so that a million contracts have
about as many suppliers as the national data (each copy of a supplier wins `SHARE` times the
contracts of the original). The records that the importer rejects (about 2 % of the real file)
are copied too, so rejected rows are reported at scale.

    python benchmarks/decp_scale.py /tmp/decp-1m.json --contracts 1000000 \
        [--source /work/shared/data/decp/marches-publics.info.json]

The file is written record by record (never held in memory) and is not committed anywhere.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = ROOT / "sourcing" / "data" / "decp_demo.json"
SHARE = 4  # copies of the file that share one generation of suppliers


def _check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    for d in "0123456789":
        total = 0
        for i, ch in enumerate(reversed(payload + d)):
            n = int(ch) * (2 if i % 2 else 1)
            total += n - 9 if n > 9 else n
        if total % 10 == 0:
            return d
    raise AssertionError("unreachable")


def derived_siret(siret: str, generation: int) -> str:
    """A valid SIRET (valid SIREN inside) derived from `siret` for one generation; 0 keeps it."""
    if generation == 0 or len(siret) != 14 or not siret.isdigit():
        return siret
    h = hashlib.sha1(f"{siret[:9]}:{generation}".encode()).hexdigest()
    digits = str(int(h[:15], 16)).zfill(12)
    siren = siret[0] + digits[:7]
    siren += _check_digit(siren)
    if siren.startswith("356000000"):  # La Poste's own rule; keep clear of it
        siren = "3570000" + siren[7]
        siren = siren[:8] + _check_digit(siren[:8])
    nic = siret[9:13]
    return siren + nic + _check_digit(siren + nic)


def _moved_date(value: object, rng: random.Random) -> object:
    if not isinstance(value, str) or len(value) < 10:
        return value
    try:
        day = date.fromisoformat(value[:10])
    except ValueError:
        return value
    moved = day + timedelta(days=rng.randint(-20, 20))
    if moved.year != day.year:
        moved = day
    return moved.isoformat() + value[10:]


def perturbed(record: dict, copy: int, rng: random.Random) -> dict:
    """Copy `copy` of a real record (copy 0 is the record itself)."""
    if copy == 0 or not isinstance(record, dict):
        return record
    out = dict(record)
    out["id"] = f"{record.get('id')}-{copy}"
    if "uid" in record:
        out["uid"] = f"{record.get('uid')}-{copy}"
    if isinstance(record.get("montant"), int | float) and record["montant"] > 1:
        out["montant"] = round(record["montant"] * rng.uniform(0.95, 1.05), 2)
    out["dateNotification"] = _moved_date(record.get("dateNotification"), rng)
    generation = copy // SHARE
    winners = []
    for t in record.get("titulaires") or []:
        if isinstance(t, dict) and isinstance(t.get("id"), str):
            t = dict(t, id=derived_siret(t["id"].replace(" ", ""), generation))
            if generation and isinstance(t.get("denominationSociale"), str):
                t["denominationSociale"] = f"{t['denominationSociale']} {generation}"
        winners.append(t)
    if "titulaires" in record:
        out["titulaires"] = winners
    return out


def write(path: Path, contracts: int, source: Path = DEFAULT_SOURCE, seed: int = 0) -> Path:
    """Write `contracts` records to `path` (DECP v1), streaming; returns the path."""
    base = json.loads(source.read_text(encoding="utf-8"))["marches"]
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        out.write('{"marches": [\n')
        for n in range(contracts):
            copy, i = divmod(n, len(base))
            if n:
                out.write(",\n")
            out.write(json.dumps(perturbed(base[i], copy, rng), ensure_ascii=False))
        out.write("\n]}\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--contracts", type=int, default=1_000_000)
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE)
    args = parser.parse_args()
    write(args.path, args.contracts, args.source)
    print(f"{args.contracts} marchés écrits dans {args.path}")


if __name__ == "__main__":
    main()
