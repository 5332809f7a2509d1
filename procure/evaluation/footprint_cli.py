"""`procure footprint ...`: a declaration's environmental footprint from the command line."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from procure.core.errors import ValidationError
from procure.core.formatting import format_number
from procure.evaluation import footprint as fp
from procure.tenders import services as tenders
from procure.web.cli_support import FRENCH_INT, cli_session, domain_errors, echo_json


@click.group(
    "footprint", cls=AppGroup, help="Empreinte environnementale d'une déclaration (EcoLogits)."
)
def footprint_group() -> None:
    pass


@footprint_group.command("compute", help="Calculer l'empreinte d'une déclaration JSON ou CSV.")
@click.argument("declaration", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--requests-per-year",
    type=FRENCH_INT,
    default=None,
    help="Requêtes par an (unité fonctionnelle du RC).",
)
@click.option("--tokens", type=FRENCH_INT, default=None, help="Jetons produits par requête.")
@click.option(
    "--tender",
    "tender_ref",
    default=None,
    help="Prendre l'unité fonctionnelle de ce marché (référence).",
)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@domain_errors
def footprint_compute(declaration, requests_per_year, tokens, tender_ref, as_json):
    path = Path(declaration)
    data = fp.parse_declaration(path.read_text(encoding="utf-8"), path.name)
    if tender_ref:
        with cli_session() as session:
            tender = tenders.tender_by_reference(session=session, reference=tender_ref)
            requests_per_year = requests_per_year or tender.requests_per_year
            tokens = tokens or tender.tokens_per_request
    if not requests_per_year or not tokens:
        raise ValidationError(
            "Indiquez --requests-per-year et --tokens (ou --tender REF).",
            fields={"--requests-per-year": "obligatoire", "--tokens": "obligatoire"},
        )
    result = fp.compute(data, requests_per_year=requests_per_year, tokens_per_request=tokens)
    if as_json:
        echo_json(result)
        return
    click.echo(
        f"Méthode : {result['method']} ; mix {result['electricity_mix']['zone']} "
        f"({result['electricity_mix']['gwp_kgco2e_per_kwh']} kgCO2e/kWh)"
    )
    click.echo(
        f"Énergie : {format_number(result['wh_per_request'], 4)} Wh/requête ; {format_number(result['kwh_per_year'], 1)} kWh/an"
    )
    click.echo(
        f"Émissions : {format_number(result['kgco2e_per_1000_requests'], 4)} kgCO2e/1000 requêtes ; "
        f"{format_number(result['kgco2e_per_year'], 1)} kgCO2e/an (usage {format_number(result['kgco2e_per_year_use'], 1)}, "
        f"fabrication {format_number(result['kgco2e_per_year_embodied'], 1)})"
    )
    click.echo(f"Eau : {format_number(result['water_l_per_year'], 0)} L/an")
    for name in result["defaults_applied"]:
        click.echo(f"  par défaut : {name} — {result['default_sources'][name]}")


@footprint_group.command(
    "template", help="Écrire le modèle de déclaration à joindre au RC (JSON ou CSV)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["json", "csv"]), default="json", show_default=True
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False),
    default=None,
    help="Fichier (sinon la sortie standard).",
)
def footprint_template(fmt, output):
    body = fp.template_json() if fmt == "json" else fp.template_csv()
    if output:
        Path(output).write_text(body, encoding="utf-8")
        click.echo(f"Modèle écrit : {output}")
    else:
        click.echo(body, nl=False)


@footprint_group.command("zones", help="Lister les codes pays (zones de mix électrique EcoLogits).")
def footprint_zones():
    click.echo(" ".join(fp.known_zones()))
