from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class RegistryPerson:
    citizen_id: str  # 12-digit CCCD / personal identification number
    old_id_number: str  # 9-digit CMND, or ""
    full_name: str
    birth_date: str  # ISO: "1957-03-04", or "1957" when only the year is known
    sex: str  # "M" / "F"
    ward_code: str  # permanent-residence ward (current structure)
    household_id: str
    phone: str


class PopulationRegistry(Protocol):
    def get(self, citizen_id: str) -> RegistryPerson | None:
        """One person by 12-digit citizen ID or 9-digit old ID card number."""

    def get_many(self, citizen_ids: Iterable[str]) -> dict[str, RegistryPerson]:
        """Many at once, keyed by the ID asked for; unknown IDs are absent."""

    def search(
        self,
        *,
        name: str,
        birth_date: str | None = None,
        ward_code: str | None = None,
        limit: int = 20,
    ) -> list[RegistryPerson]:
        """People whose name matches ignoring accents and case, optionally narrowed by
        birth date (or birth year) and ward."""
