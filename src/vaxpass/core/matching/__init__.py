"""Matching dose records to the population registry: pure Python, no database.

- ``forms``: the comparable forms of names, IDs, birth dates, phones and sex
- ``stage1``: decide by ID (``decide_by_id``), with reasons (``reasons.Reason``)
- ``comparisons``: stage 2's Fellegi-Sunter comparisons and blocking rules, declared once
  for Splink (vaxpass.linkage) and for ``scoring``, the pure-Python scorer
- ``policy``: which outcomes are applied automatically (``NATIONAL``)
- ``decisions``: ``DoseDecision``, what a run yields for each dose
"""

from vaxpass.core.matching.decisions import (
    Candidate,
    Correction,
    Decision,
    DoseDecision,
    corrections_for,
)
from vaxpass.core.matching.policy import NATIONAL, Policy
from vaxpass.core.matching.reasons import DESCRIPTIONS, Reason
from vaxpass.core.matching.stage1 import (
    CapturedIdentity,
    Outcome,
    RegisteredIdentity,
    Stage1Result,
    decide_by_id,
)

__all__ = [
    "DESCRIPTIONS",
    "NATIONAL",
    "Candidate",
    "CapturedIdentity",
    "Correction",
    "Decision",
    "DoseDecision",
    "Outcome",
    "Policy",
    "Reason",
    "RegisteredIdentity",
    "Stage1Result",
    "corrections_for",
    "decide_by_id",
]
