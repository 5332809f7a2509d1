"""Red flags of a supplier's past contracts: signals that something deserves a look, never proof.

They follow the standard definitions (Open Contracting's Cardinal library, opentender.eu /
DIGIWHIST), computed on the DECP fields that exist:

- R018 "single bid": one offer received (`offresRecues` = 1) in a procedure open to competition
  (open or restricted call for tenders, competitive negotiation, competitive dialogue, adapted
  procedure).
- "No call for competition" (opentender: no call for tenders published): a procedure negotiated
  without prior publication or competition.
- Buyer concentration: the Herfindahl-Hirschman index of the market of one buyer in one CPV
  division (the sum of the squared shares of its suppliers, in percent, 0 to 10,000), flagged above
  2,500 ("highly concentrated") when the supplier holds the largest share, with at least 3
  contracts in that market.
- Short or missing advertisement period: needs the notice's publication date and the deadline for
  offers, which DECP does not carry; it is reported as not computable rather than guessed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

HHI_HIGH = 2500
HHI_MIN_CONTRACTS = 3
NO_CALL = ("sans publicité", "sans publicite", "sans mise en concurrence", "négocié sans")
COMPETITIVE = (
    "appel d'offres",
    "procédure adaptée",
    "procedure adaptee",
    "concurrentielle avec négociation",
    "dialogue compétitif",
    "avec mise en concurrence",
    "négociée ouverte",
    "négociée restreinte",
)

DEFINITIONS = {
    "single_bid": {
        "title": "Offre unique",
        "definition": "Une seule offre reçue dans une procédure ouverte à la concurrence "
        "(Open Contracting Cardinal R018 ; opentender « single bidder »).",
        "threshold": "offresRecues = 1",
    },
    "no_call": {
        "title": "Sans appel à la concurrence",
        "definition": "Marché négocié sans publicité ni mise en concurrence préalable "
        "(opentender « no call for tenders published »).",
        "threshold": "procédure « sans publicité » ou « sans mise en concurrence »",
    },
    "concentration": {
        "title": "Marché concentré chez un acheteur",
        "definition": "Indice de Herfindahl-Hirschman (somme des carrés des parts des "
        "fournisseurs, en %) des marchés d'un acheteur dans une division CPV, le fournisseur "
        "ayant la plus grande part.",
        "threshold": f"IHH > {HHI_HIGH} (très concentré), au moins {HHI_MIN_CONTRACTS} marchés",
    },
    "advertisement": {
        "title": "Délai de publicité court ou absent",
        "definition": "Délai entre la publication de l'avis et la date limite des offres "
        "(opentender « short advertisement period »).",
        "threshold": "non calculable : les DECP ne donnent ni la date de l'avis ni la date "
        "limite des offres",
    },
}


class ContractLike(Protocol):
    id: int | None
    buyer_siret: str
    buyer_name: str
    cpv: str
    procedure: str
    offers_received: int | None
    object: str


def buyer_key(c: ContractLike) -> str:
    return c.buyer_siret or c.buyer_name


def hhi(counts: Iterable[int]) -> float:
    """Herfindahl-Hirschman index of a market from its suppliers' contract counts (0 to 10,000)."""
    values = [n for n in counts if n > 0]
    total = sum(values)
    return round(sum((100 * n / total) ** 2 for n in values), 1) if total else 0.0


def _link(c: ContractLike) -> dict[str, Any]:
    return {"id": c.id, "object": c.object[:200], "buyer": c.buyer_name}


def red_flags(
    contracts: Sequence[ContractLike],
    markets: dict[tuple[str, str], dict[int, int]],
    supplier_id: int,
) -> list[dict[str, Any]]:
    """The flags of one supplier. `markets` maps (buyer, CPV division) to {supplier id: number
    of contracts} for the buyers of `contracts` (every supplier of those markets)."""
    out = []
    single = [
        c
        for c in contracts
        if c.offers_received == 1 and any(k in (c.procedure or "").lower() for k in COMPETITIVE)
    ]
    if single:
        out.append(
            {"code": "single_bid", "count": len(single), "contracts": [_link(c) for c in single]}
        )
    no_call = [c for c in contracts if any(k in (c.procedure or "").lower() for k in NO_CALL)]
    if no_call:
        out.append(
            {"code": "no_call", "count": len(no_call), "contracts": [_link(c) for c in no_call]}
        )
    cells: dict[tuple[str, str], list[ContractLike]] = defaultdict(list)
    for c in contracts:
        if buyer_key(c) and c.cpv:
            cells[(buyer_key(c), c.cpv[:2])].append(c)
    for key, cs in sorted(cells.items()):
        market = markets.get(key, {})
        total = sum(market.values())
        if total < HHI_MIN_CONTRACTS:
            continue
        index = hhi(market.values())
        top = max(market.values())
        if index > HHI_HIGH and market.get(supplier_id, 0) == top:
            out.append(
                {
                    "code": "concentration",
                    "count": len(cs),
                    "hhi": index,
                    "share": round(market.get(supplier_id, 0) / total, 4),
                    "market": {"buyer": cs[0].buyer_name, "division": key[1], "contracts": total},
                    "contracts": [_link(c) for c in cs],
                }
            )
    for flag in out:
        flag.update(DEFINITIONS[flag["code"]])
    return out


def market_counts(rows: Iterable[tuple[str, str, int]]) -> dict[tuple[str, str], dict[int, int]]:
    """{(buyer, division): {supplier id: contracts}} from (buyer, cpv, supplier id) rows."""
    counts: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for buyer, cpv, sid in rows:
        if buyer and cpv:
            counts[(buyer, cpv[:2])][sid] += 1
    return {k: dict(v) for k, v in counts.items()}
