"""A load killed in the middle (SIGKILL of the importing process) leaves exactly the
committed chunks, recorded on the batch, and resumes to the exact count."""

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid

import pytest

from vaxpass.core.dose_rows import DOSE_COLUMNS
from vaxpass.core.identity import make_cccd

pytestmark = pytest.mark.slow
ROWS = 30_000
SEED = """
from vaxpass.accounts.models import Role, User
from vaxpass.places.models import Division, Facility
ward = Division.objects.filter(era="legacy", level="ward", province__code="01").order_by("code").first()
f = Facility(code="KILL-A", name="Trạm Y tế thử", kind="station")
f.place_in(ward)
f.save()
User.objects.create(username="nurse", role=Role.FACILITY_STAFF, facility=f)
"""


@pytest.fixture
def environment(tmp_path):
    env = dict(os.environ, VAXPASS_DATA_DIR=str(tmp_path / "data"))
    database = None
    if os.environ.get("VAXPASS_DATABASE_URL"):
        import psycopg

        database = f"vaxpass_kill_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(os.environ["VAXPASS_DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {database}")
        env["VAXPASS_DATABASE_URL"] = (
            os.environ["VAXPASS_DATABASE_URL"].rsplit("/", 1)[0] + "/" + database
        )
    cli = [sys.executable, "-m", "vaxpass.cli"]
    for step in (["migrate", "-v", "0"], ["load_places", "-v", "0"], ["shell", "-c", SEED]):
        subprocess.run(cli + step, env=env, check=True, capture_output=True)
    yield env, cli
    if database:
        import psycopg

        with psycopg.connect(os.environ["VAXPASS_DATABASE_URL"], autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")


def query(env, sql):
    if "VAXPASS_DATABASE_URL" in env:
        import psycopg

        with psycopg.connect(env["VAXPASS_DATABASE_URL"]) as conn:
            return conn.execute(sql).fetchall()
    with sqlite3.connect(
        os.path.join(env["VAXPASS_DATA_DIR"], "vaxpass.sqlite3"), timeout=30
    ) as conn:
        return conn.execute(sql).fetchall()


def write_file(path):
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([c.vi for c in DOSE_COLUMNS])
        for n in range(ROWS):
            values = {
                "citizen_id": make_cccd("001", "MF"[n % 2], 1950 + n % 50, n), "full_name": f"Nguyễn Văn {chr(65 + n % 26)}",
                "birth_date": f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1950 + n % 50}", "sex": "Nam" if n % 2 == 0 else "Nữ",
                "product": "Vero Cell", "given_on": "02/10/2021", "dose_number": "1", "facility_code": "KILL-A",
            }  # fmt: skip
            writer.writerow([values.get(c.key, "") for c in DOSE_COLUMNS])


def test_killed_load_resumes_to_the_exact_count(environment, tmp_path):
    env, cli = environment
    path = tmp_path / "big.csv"
    write_file(path)
    process = subprocess.Popen(cli + ["import", str(path), "--user", "nurse", "-v", "0"], env=env)
    deadline = time.time() + 300
    done = 0
    while time.time() < deadline and process.poll() is None:
        rows = query(env, "SELECT status, rows_done FROM imports_importbatch")
        if rows and rows[0][0] == "loading" and rows[0][1] >= 5000:
            done = rows[0][1]
            break
        time.sleep(0.05)
    assert process.poll() is None, "the load finished before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait()
    batch_id, status, rows_done, loaded = query(
        env, "SELECT id, status, rows_done, loaded_rows FROM imports_importbatch"
    )[0]
    stored = query(env, f"SELECT count(*) FROM records_dose WHERE import_batch_id = {batch_id}")[0][
        0
    ]
    assert status == "loading" and rows_done >= done
    assert stored == rows_done == loaded < ROWS  # whole chunks, each recorded on the batch
    subprocess.run(cli + ["import", "--resume", str(batch_id), "-v", "0"], env=env, check=True)
    status, rows_done, loaded, existing = query(
        env, "SELECT status, rows_done, loaded_rows, existing_rows FROM imports_importbatch"
    )[0]
    stored = query(env, f"SELECT count(*) FROM records_dose WHERE import_batch_id = {batch_id}")[0][
        0
    ]
    assert (status, rows_done, loaded, existing, stored) == ("loaded", ROWS, ROWS, 0, ROWS)
