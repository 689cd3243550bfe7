"""Helper modules of the Python pet-management app (no step markers: the runtime does not load them)."""
