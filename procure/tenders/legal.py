"""Legal facts the rules and the compliance check depend on, each with its source. Pure.

Every figure here was checked against a source named beside it (see docs/regles.md for the
review notes); change them only with a new source.
"""

from __future__ import annotations

from datetime import date

# Consultations launched from this date must have an environmental award criterion and an
# environmental execution condition (loi n° 2021-1104 art. 35; décret n° 2022-767 du 2 mai 2022,
# which sets the entry into force of the new L2112-2 and L2152-7 at 21 August 2026).
ENVIRONMENT_FROM = date(2026, 8, 21)

ENVIRONMENT_BASIS = (
    "Code de la commande publique, art. L2152-7 (loi n° 2021-1104, art. 35 ; "
    "décret n° 2022-767, applicable aux consultations lancées à compter du 21 août 2026)"
)
LIFE_CYCLE_BASIS = (
    "Code de la commande publique, art. R2152-7 (critère unique du coût du cycle de vie)"
)
EXECUTION_CONDITION_BASIS = "Code de la commande publique, art. L2112-2"
WEIGHTS_BASIS = "Code de la commande publique, art. R2152-11 et R2152-12"
LOTS_BASIS = "Code de la commande publique, art. L2113-10 et L2113-11"
MAPA_BASIS = "Code de la commande publique, art. L2123-1 et R2123-1 (1°)"

# EU thresholds of formalised procedures for supplies and services, 1 January 2026 to 31
# December 2027, in euros HT: Commission delegated regulation (EU) 2025/2152 (OJ of 23 October
# 2025), amending directive 2014/24/EU; annex 2 of the Code de la commande publique. State
# administrations and their public bodies are central government authorities; local
# authorities, health establishments and the other buyers are sub-central authorities.
THRESHOLD_SOURCE = (
    "règlement délégué (UE) 2025/2152 de la Commission, seuils applicables du 1er janvier 2026 "
    "au 31 décembre 2027 ; annexe 2 du code de la commande publique"
)
THRESHOLDS_2026: dict[str, int] = {
    "etat": 140_000,
    "collectivite": 216_000,
    "sante": 216_000,
    "autre": 216_000,
}
THRESHOLDS_VALID = (date(2026, 1, 1), date(2027, 12, 31))


def threshold(buyer_kind: str) -> int:
    """The EU threshold for supplies and services for this kind of buyer (euros HT)."""
    return THRESHOLDS_2026.get(buyer_kind, THRESHOLDS_2026["autre"])


def environment_required(launch_date: date | None, defence_or_security: bool) -> bool:
    """The environmental award criterion is mandatory for this consultation.

    An unknown launch date counts as launched today: a tender being drafted now is launched
    after 21 August 2026 at the earliest, and saying nothing would hide the obligation."""
    if defence_or_security:
        return False
    return (launch_date or date.today()) >= ENVIRONMENT_FROM
