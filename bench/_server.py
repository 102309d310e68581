"""Shared by the benchmarks: a fresh PostgreSQL database, migrated and seeded, served by
gunicorn on loopback."""

import os
import socket
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

DEFAULT_PG = "postgresql://vaxpass:vaxpass@127.0.0.1:5432/vaxpass"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def fresh_database(admin_url: str):
    import psycopg

    name = f"vaxpass_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    try:
        yield admin_url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def manage(env: dict, *args: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "vaxpass.cli", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def django_script(env: dict, code: str) -> str:
    preamble = "import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE','vaxpass.settings'); django.setup()\n"
    return subprocess.run(
        [sys.executable, "-c", preamble + code], env=env, check=True, capture_output=True, text=True
    ).stdout.strip()


@contextmanager
def gunicorn(env: dict, workers: int, app: str = "vaxpass.wsgi:application"):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--pythonpath",
            str(Path(__file__).resolve().parent),
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--backlog",
            "2048",
        ],
        env=env,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield port
    finally:
        process.terminate()
        process.wait(20)


def bench_env(database_url: str, data_dir: Path) -> dict:
    return dict(os.environ, VAXPASS_DATABASE_URL=database_url, VAXPASS_DATA_DIR=str(data_dir))
