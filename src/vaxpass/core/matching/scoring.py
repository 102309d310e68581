"""Pure-Python Fellegi-Sunter scoring with a trained model's parameters.

The incremental path scores a handful of candidates per dose with this, without a
database engine; the batch scores millions with Splink. Both read the same saved Splink
settings and put pairs in levels by the same rules (comparisons.py), and this module
computes the match weight exactly as Splink does: the prior's log-odds plus, per
comparison, log2(m/u) of the pair's level and, on a level with term frequencies,
``tf_weight * (log2(u_exact) - log2(max(tf_l, tf_r, tf_minimum_u)))``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from vaxpass.core.matching.comparisons import COMPARISONS, Comparison, Record, level_of

# term frequencies per column: value -> share of records holding it
TermFrequencies = Mapping[str, Mapping[Any, float]]


@dataclass(frozen=True)
class LevelParameters:
    label: str
    m: float
    u: float
    is_null: bool
    tf_column: str | None
    tf_weight: float
    tf_minimum_u: float

    @property
    def weight(self) -> float:
        return 0.0 if self.is_null else math.log2(self.m / self.u)


@dataclass(frozen=True)
class ModelParameters:
    prior: float  # probability that a random dose-person pair is a match
    levels: tuple[tuple[LevelParameters, ...], ...]  # per comparison, in COMPARISONS order

    @classmethod
    def from_splink_settings(
        cls, settings: Mapping[str, Any], comparisons: Sequence[Comparison] = COMPARISONS
    ) -> ModelParameters:
        by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
        levels = []
        for comparison in comparisons:
            saved = by_name[comparison.name]["comparison_levels"]
            labels = [level.get("label_for_charts") for level in saved]
            if labels != [level.label for level in comparison.levels]:
                raise ValueError(f"saved levels of {comparison.name} differ: {labels}")
            levels.append(
                tuple(
                    LevelParameters(
                        label=level["label_for_charts"],
                        m=float(level.get("m_probability") or 1.0),
                        u=float(level.get("u_probability") or 1.0),
                        is_null=bool(level.get("is_null_level")),
                        tf_column=level.get("tf_adjustment_column"),
                        tf_weight=float(level.get("tf_adjustment_weight") or 1.0),
                        tf_minimum_u=float(level.get("tf_minimum_u_value") or 0.0),
                    )
                    for level in saved
                )
            )
        return cls(float(settings["probability_two_random_records_match"]), tuple(levels))

    def with_prior(self, prior: float) -> ModelParameters:
        return ModelParameters(prior, self.levels)


@dataclass(frozen=True)
class Score:
    match_weight: float
    probability: float
    levels: tuple[str, ...]  # the label of each comparison's level, for review pages


def _tf_adjustment(
    level: LevelParameters,
    comparison_levels: Sequence[LevelParameters],
    dose: Record,
    person: Record,
    tf: TermFrequencies,
) -> float:
    column = level.tf_column
    if column is None or column not in tf:
        return 0.0
    table = tf[column]
    tf_l, tf_r = table.get(dose[column]), table.get(person[column])
    if tf_l is None and tf_r is None:
        return 0.0
    u_exact = next(lv.u for lv in comparison_levels if lv.tf_column == column)
    biggest = max(tf_l or tf_r or 0.0, tf_r or tf_l or 0.0, level.tf_minimum_u)
    return level.tf_weight * (math.log2(u_exact) - math.log2(biggest))


def score(
    parameters: ModelParameters,
    dose: Record,
    person: Record,
    tf: TermFrequencies | None = None,
    comparisons: Sequence[Comparison] = COMPARISONS,
) -> Score:
    weight = math.log2(parameters.prior / (1 - parameters.prior))
    labels = []
    for comparison, levels in zip(comparisons, parameters.levels, strict=True):
        level = levels[level_of(comparison, dose, person)]
        labels.append(level.label)
        weight += level.weight
        if not level.is_null:
            weight += _tf_adjustment(level, levels, dose, person, tf or {})
    probability = 1 / (1 + 2 ** (-weight)) if weight > -1000 else 0.0
    return Score(weight, probability, tuple(labels))
