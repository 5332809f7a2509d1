"""CLI command groups, one module per room; `procure.cli` registers them all."""
