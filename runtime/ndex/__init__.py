"""NDEx copy plans: the copy decision (pure), the provenance of a copy, a streaming NDEx v2 client,
and the execution of one copy plan. The rules are written down in docs/ndex.md ("Copy decisions")."""
