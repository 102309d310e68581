"""Stage 2's Splink model: settings from the core's comparisons, training, and a
versioned store of trained models.

A model is trained once, on a sample (u by random sampling, m by expectation
maximisation in two blocked sessions), and saved as JSON under a models directory with
its version and the SHA-256 of its content; runs load it and never retrain. The prior
is stored per dose ("a dose has at most one person") and turned into Splink's pair prior
for the registry at hand, so one model serves a province and the nation alike.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from vaxpass.core.matching.comparisons import BLOCKING_RULES, COMPARISONS, Comparison
from vaxpass.core.matching.scoring import ModelParameters

FORMAT = "vaxpass-linkage-model"
FORMAT_VERSION = 1
# Levels EM cannot estimate (never seen among the training pairs) get these, explicitly,
# rather than Splink's silent "no weight"; and no level's m falls below the floor: a
# disagreement the training data never showed among matches (synthetic people never
# move ward) still happens in real data, so it costs at most log2(1/m) bits.
UNSEEN_LEVEL_M = 1e-3
UNSEEN_LEVEL_U = 1e-3
M_FLOOR = 1e-3

log = logging.getLogger(__name__)


def blocking_rule_sql(rule: tuple[str, ...]) -> str:
    parts = []
    for column in rule:
        left, _, right = column.partition("=")
        parts.append(f"l.{left} = r.{right or left}")
    return " AND ".join(parts)


_PREFIXED = re.compile(r"\b([lr])\.([a-z_][a-z_0-9]*)")


def level_sql(sql: str) -> str:
    """Splink's level conditions name columns ``name_key_l``, not ``l.name_key``."""
    return _PREFIXED.sub(r"\2_\1", sql)


def _level_dict(level) -> dict[str, Any]:
    out: dict[str, Any] = {"sql_condition": level_sql(level.sql), "label_for_charts": level.label}
    if level.is_null:
        out["is_null_level"] = True
    if level.tf_column:
        out["tf_adjustment_column"] = level.tf_column
        out["tf_adjustment_weight"] = 1.0
    if level.m is not None:
        out.update(m_probability=level.m, fix_m_probability=True)
    if level.u is not None:
        out.update(u_probability=level.u, fix_u_probability=True)
    return out


def _comparison_dict(comparison: Comparison) -> dict[str, Any]:
    return {
        "output_column_name": comparison.name,
        "comparison_description": comparison.description,
        "comparison_levels": [_level_dict(level) for level in comparison.levels],
    }


def untrained_settings(prior: float = 1e-6) -> dict[str, Any]:
    return {
        "link_type": "link_only",
        "unique_id_column_name": "unique_id",
        "probability_two_random_records_match": prior,
        "comparisons": [_comparison_dict(c) for c in COMPARISONS],
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": blocking_rule_sql(rule)} for rule in BLOCKING_RULES
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "em_convergence": 0.001,
        "max_iterations": 25,
    }


@dataclass(frozen=True)
class Model:
    """A trained stage-2 model: Splink settings with m and u, and where it came from."""

    settings: dict[str, Any]  # Splink settings (prior set for one dose vs one person)
    matches_per_dose: float  # the prior, per dose: P(the dose's person is in the registry)
    trained_on: dict[str, Any]  # sample sizes, seed, date
    # the commonest values' term frequencies, for pure-Python scoring
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    version: str = ""  # "stage2-<n>-<hash12>", set when saved
    sha256: str = ""

    def settings_for(self, registry_size: int) -> dict[str, Any]:
        """The settings with Splink's pair prior for a registry of this size."""
        settings = json.loads(json.dumps(self.settings))
        settings["probability_two_random_records_match"] = self.prior(registry_size)
        return settings

    def prior(self, registry_size: int) -> float:
        return min(0.5, self.matches_per_dose / max(registry_size, 1))

    def parameters(self, registry_size: int) -> ModelParameters:
        """The parameters for pure-Python scoring (vaxpass.core.matching.scoring)."""
        return ModelParameters.from_splink_settings(self.settings_for(registry_size))

    def content(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "matches_per_dose": self.matches_per_dose,
            "trained_on": self.trained_on,
            "term_frequencies": self.term_frequencies,
            "splink_settings": self.settings,
        }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def fill_unseen_levels(settings: dict[str, Any]) -> list[str]:
    """Give every level EM left without m or u the explicit defaults, and raise any m
    below M_FLOOR to it; return which levels were set."""
    filled = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            label = level["label_for_charts"]
            for key, default in (
                ("m_probability", UNSEEN_LEVEL_M),
                ("u_probability", UNSEEN_LEVEL_U),
            ):
                if level.get(key) is None:
                    level[key] = default
                    filled.append(f"{name}/{label}/{key[0]} unseen")
            if level["m_probability"] < M_FLOOR:
                level["m_probability"] = M_FLOOR
                filled.append(f"{name}/{label}/m floor")
    return filled


class ModelStore:
    """A directory of saved models: ``stage2-<n>-<hash12>.json``, newest = highest n.

    Saving the same content twice writes nothing new: the hash names the content.
    """

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)

    def _paths(self) -> list[Path]:
        def number(path: Path) -> int:
            try:
                return int(path.stem.split("-")[1])
            except (IndexError, ValueError):
                return -1

        return sorted(self.directory.glob("stage2-*.json"), key=number)

    def save(self, model: Model) -> Model:
        content = model.content()
        digest = content_hash(content)
        self.directory.mkdir(parents=True, exist_ok=True)
        for path in self._paths():
            if path.stem.endswith(digest[:12]):
                return load_model(path)
        number = len(self._paths()) + 1
        version = f"stage2-{number}-{digest[:12]}"
        document = {
            **content,
            "version": version,
            "sha256": digest,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        path = self.directory / f"{version}.json"
        path.write_text(json.dumps(document, indent=2, ensure_ascii=False), "utf-8")
        return load_model(path)

    def latest(self) -> Model | None:
        paths = self._paths()
        return load_model(paths[-1]) if paths else None


_CONTENT_KEYS = (
    "format",
    "format_version",
    "matches_per_dose",
    "trained_on",
    "term_frequencies",
    "splink_settings",
)


class ModelError(ValueError):
    pass


def load_model(path: str | Path) -> Model:
    """Load a saved model, checking its format and that its content matches its hash."""
    document = json.loads(Path(path).read_text("utf-8"))
    if document.get("format") != FORMAT or document.get("format_version") != FORMAT_VERSION:
        raise ModelError(f"{path}: not a {FORMAT} v{FORMAT_VERSION} file")
    content = {k: document.get(k) for k in _CONTENT_KEYS}
    digest = content_hash(content)
    if digest != document.get("sha256"):
        raise ModelError(f"{path}: content does not match its sha256 (edited by hand?)")
    return Model(
        settings=document["splink_settings"],
        matches_per_dose=float(document["matches_per_dose"]),
        trained_on=document["trained_on"],
        term_frequencies=document["term_frequencies"],
        version=document["version"],
        sha256=digest,
    )
