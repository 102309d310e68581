"""The cleaning policy: which outcomes are applied automatically and which go to review.

A policy is data (thresholds and reason sets), versioned, loadable from JSON, so a
ministry can tighten it without a code change; every decision records the policy version
it was made under. ``NATIONAL`` is the default: the ministry's proposal of 2022 (align
right-ID records to the registry values) plus automatic probabilistic links only when
one candidate is near certain and well ahead of the next.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from vaxpass.core.matching.comparisons import BIRTH_DATE, NAME
from vaxpass.core.matching.decisions import Candidate, Decision, DoseDecision
from vaxpass.core.matching.reasons import INFORMATIVE_REASONS, Reason
from vaxpass.core.matching.stage1 import Outcome, Stage1Result

# Every difference stage 1 may find on a right ID; all are benign by the rules of stage 1.
CORRECTABLE_REASONS = frozenset(
    {
        Reason.ID_REPAIRED,
        Reason.ID_OLD_NUMBER,
        Reason.ID_BIRTH_YEAR_CONTRADICTS,  # only with a birth-date typo the registry explains
        Reason.NAME_ENCODING,
        Reason.NAME_CASE,
        Reason.NAME_TONE_STYLE,
        Reason.NAME_UNACCENTED,
        Reason.NAME_MARKS_DIFFER,
        Reason.NAME_TYPO,
        Reason.NAME_MISSING,
        Reason.BIRTH_YEAR_ONLY,
        Reason.BIRTH_DAY_MONTH_SWAPPED,
        Reason.BIRTH_DATE_TYPO,
        Reason.BIRTH_DATE_MISSING,
        Reason.SEX_MISSING,
    }
)


@dataclass(frozen=True)
class Policy:
    name: str = "national"
    version: str = "2026-12-01"
    # Stage 1: correctable doses are aligned to the registry automatically when every
    # reason is in this set; otherwise they go to review.
    auto_correct_reasons: frozenset[str] = field(default=frozenset(CORRECTABLE_REASONS))
    # Stage 2: link automatically at or above this probability, when the best candidate's
    # match weight leads the second's by at least this many bits (2**bits times likelier).
    auto_link_probability: float = 0.999
    auto_link_margin_bits: float = 6.0
    # Below this the dose is "not found"; between the two it goes to review.
    review_probability: float = 0.2
    # An automatic link also needs the birth date to agree at least in part: a household
    # shares phone and ward, and a father and son may share a name, so name, phone and
    # ward alone can outweigh a birth date 25 years off.
    auto_link_birth_date_levels: frozenset[str] = field(
        default=frozenset({"exact", "year only", "day and month swapped", "two of three parts"})
    )
    # ... and the name to agree at least in part (given name at the least): two people
    # of one household born the same day (twins, spouses) share everything else.
    auto_link_name_levels: frozenset[str] = field(
        default=frozenset({"exact", "one edit", "same sound", "family and given", "given"})
    )
    # Candidates kept with a decision for the review pages.
    candidates_kept: int = 3
    propose_merges: bool = True

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"

    # --- decisions ----------------------------------------------------------------------

    def after_stage1(self, result: Stage1Result) -> Decision | None:
        """The decision stage 1 settles, or None when the dose goes on to stage 2."""
        if result.outcome is Outcome.VERIFIED:
            return Decision.VERIFIED
        if result.outcome is Outcome.CORRECTABLE:
            benign = set(result.reasons) - INFORMATIVE_REASONS
            return Decision.CORRECTED if benign <= self.auto_correct_reasons else Decision.REVIEW
        return None

    def after_stage2(
        self, candidates: Sequence[Candidate]
    ) -> tuple[Decision, Candidate | None, Reason]:
        """The decision for a dose stage 2 scored, from its candidates (any order)."""
        ranked = sorted(candidates, key=lambda c: (-c.match_weight, c.citizen_id))
        if not ranked or ranked[0].probability < self.review_probability:
            return Decision.NOT_FOUND, None, Reason.NO_CANDIDATE
        best = ranked[0]
        if best.probability < self.auto_link_probability:
            return Decision.REVIEW, best, Reason.BELOW_AUTO_THRESHOLD
        if best.birth_date_level not in self.auto_link_birth_date_levels:
            return Decision.REVIEW, best, Reason.CANDIDATE_BIRTH_DATE_DIFFERS
        if best.name_level not in self.auto_link_name_levels:
            return Decision.REVIEW, best, Reason.CANDIDATE_NAME_DIFFERS
        if len(ranked) > 1 and best.match_weight - ranked[1].match_weight < (
            self.auto_link_margin_bits
        ):
            return Decision.REVIEW, best, Reason.AMBIGUOUS_CANDIDATES
        return Decision.LINKED, best, Reason.PROBABLE_MATCH

    def settle(
        self,
        dose_id: str,
        stage1: Stage1Result,
        candidates: Sequence[Candidate] = (),
        *,
        model_version: str = "",
    ) -> DoseDecision:
        """The whole decision for one dose: stage 1's if it settles, else stage 2's from
        the candidates scored for it. The batch's SQL (vaxpass.linkage.pipeline) applies
        the same rules; tests compare the two."""
        settled = self.after_stage1(stage1)
        holder = stage1.person.citizen_id if stage1.person else None
        if settled is Decision.REVIEW:
            reasons = (*stage1.reasons, Reason.NOT_AUTO_CORRECTED)
            return DoseDecision(
                dose_id, settled, None, None, reasons, 1, holder, policy_version=self.label
            )
        if settled is not None:
            return DoseDecision(
                dose_id, settled, holder, None, stage1.reasons, 1, policy_version=self.label
            )
        ranked = sorted(candidates, key=lambda c: (-c.match_weight, c.citizen_id))
        if stage1.excludes_holder:
            ranked = [c for c in ranked if c.citizen_id != holder]
        decision, best, reason = self.after_stage2(ranked)
        return DoseDecision(
            dose_id,
            decision,
            best.citizen_id if best and decision is Decision.LINKED else None,
            ranked[0].probability if ranked else None,
            (*stage1.reasons, reason),
            2,
            best.citizen_id if best and decision is Decision.REVIEW else None,
            tuple(ranked[: self.candidates_kept]),
            policy_version=self.label,
            model_version=model_version,
        )

    # --- storage ------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["auto_correct_reasons"] = sorted(self.auto_correct_reasons)
        data["auto_link_birth_date_levels"] = sorted(self.auto_link_birth_date_levels)
        data["auto_link_name_levels"] = sorted(self.auto_link_name_levels)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Policy:
        known = {f for f in cls.__dataclass_fields__}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown policy fields: {', '.join(sorted(unknown))}")
        values = dict(data)
        if "auto_correct_reasons" in values:
            reasons = [Reason(r) for r in values["auto_correct_reasons"]]  # rejects typos
            values["auto_correct_reasons"] = frozenset(reasons)
        for key, comparison in (
            ("auto_link_birth_date_levels", BIRTH_DATE),
            ("auto_link_name_levels", NAME),
        ):
            if key in values:
                labels = {level.label for level in comparison.levels}
                wanted = frozenset(values[key])
                if not wanted <= labels:
                    raise ValueError(f"unknown {comparison.name} levels: {sorted(wanted - labels)}")
                values[key] = wanted
        policy = replace(cls(), **values)
        if not 0 <= policy.review_probability <= policy.auto_link_probability <= 1:
            raise ValueError("need 0 <= review_probability <= auto_link_probability <= 1")
        return policy

    @classmethod
    def from_json_file(cls, path: str | Path) -> Policy:
        return cls.from_dict(json.loads(Path(path).read_text("utf-8")))


NATIONAL = Policy()
