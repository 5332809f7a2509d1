"""CLI commands of the tenders room (filled in by its issue).

Expose click groups/commands in GROUPS; procure.cli registers them."""

GROUPS: list = []
