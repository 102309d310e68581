"""The national population registry, an outside system, behind a small interface.

`PopulationRegistry` is what the rest of vaxpass may use. `SqlRegistry` is the default
adapter: the registry's own database (a SQLite file, or a PostgreSQL schema), loaded from
a CSV export. A production adapter for the ministry's real service would implement the
same three look-ups.
"""

from vaxpass.adapters.registry.base import PopulationRegistry, RegistryPerson
from vaxpass.adapters.registry.sql import REGISTRY_COLUMNS, SqlRegistry

__all__ = ["REGISTRY_COLUMNS", "PopulationRegistry", "RegistryPerson", "SqlRegistry"]
