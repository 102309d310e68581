"""Turn the synthetic generator's files (vaxpass generate) into clean-files inputs.

The generator writes the registry in the current ward structure and doses with the 2021
ward; the contract wants one structure on both sides, so dose wards go through the
caller's ward map (legacy ward -> current ward and province; see
``vaxpass.synth.generator.national_wards``). No ground truth is copied: truth.csv stays
where it is, for the benchmark and the tests only.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pyarrow as pa

from vaxpass.linkage import tables


def convert(
    source: str | Path,
    out: str | Path,
    ward_map: Mapping[str, tuple[str, str]],
    *,
    suffix: str = ".csv",
) -> tuple[Path, Path]:
    """registry.csv and doses.csv of ``source`` as contract files under ``out``.

    ``ward_map``: legacy ward code -> (current ward code, province code).
    """
    source, out = Path(source), Path(out)
    out.mkdir(parents=True, exist_ok=True)
    con = tables.connect()
    legacy = list(ward_map)
    con.register(
        "ward_map",
        pa.table(
            {
                "legacy": legacy,
                "current": [ward_map[w][0] for w in legacy],
                "province": [ward_map[w][1] for w in legacy],
            }
        ),
    )
    con.execute(
        "CREATE TABLE current_province AS SELECT current, min(province) AS province"
        " FROM ward_map GROUP BY current"
    )
    registry, doses = out / f"registry{suffix}", out / f"doses{suffix}"
    read = "all_varchar = true, header = true"
    tables.write_query(
        con,
        f"""SELECT r.citizen_id, coalesce(r.old_id_number, '') AS old_id, r.full_name,
                   r.birth_date, r.sex, coalesce(r.phone, '') AS phone,
                   coalesce(p.province, '') AS province_code, r.ward_code, r.household_id
            FROM read_csv('{source / "registry.csv"}', {read}) r
            LEFT JOIN current_province p ON p.current = r.ward_code""",
        registry,
    )
    tables.write_query(
        con,
        f"""SELECT d.record_id AS dose_id, coalesce(d.citizen_id, '') AS citizen_id,
                   coalesce(d.full_name, '') AS full_name,
                   coalesce(d.birth_date, '') AS birth_date, coalesce(d.sex, '') AS sex,
                   coalesce(d.phone, '') AS phone, coalesce(w.province, '') AS province_code,
                   coalesce(w.current, '') AS ward_code, d.facility_code, d.product,
                   d.given_on AS dose_date, d.dose_number
            FROM read_csv('{source / "doses.csv"}', {read}) d
            LEFT JOIN ward_map w ON w.legacy = d.ward_code""",
        doses,
    )
    con.close()
    return registry, doses
