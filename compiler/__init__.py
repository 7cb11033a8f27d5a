"""ferryman.compiler: load (dialect loaders with positions) -> check (schemas + rules) -> IR -> Plan."""
