"""Shared constants and helpers of the linkage tests."""

import csv
from datetime import date
from pathlib import Path

TODAY = date(2026, 12, 1)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))
