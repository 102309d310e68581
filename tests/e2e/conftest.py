"""A real server for browser tests: its own data directory and database, migrated,
seeded, served by gunicorn on a free loopback port, driven by Debian's chromium."""

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PASSWORD = "e2e-Password-1"
HERE = Path(__file__).parent
SERVER_ENV: dict[str, str] = {}  # the live server's environment, for tests that seed more


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str | None:
    url = os.environ.get("VAXPASS_DATABASE_URL")
    if not url:
        return None
    import psycopg

    name = f"vaxpass_e2e_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    env = dict(os.environ, VAXPASS_DATA_DIR=str(tmp_path_factory.mktemp("e2e")), VAXPASS_DEBUG="0")
    database = _database_url()
    if database:
        env["VAXPASS_DATABASE_URL"] = database
    cli = [sys.executable, "-m", "vaxpass.cli"]
    for step in (["migrate", "-v", "0"], ["load_places", "-v", "0"]):
        subprocess.run(cli + step, env=env, check=True)
    subprocess.run([sys.executable, str(HERE / "seed.py"), PASSWORD], env=env, check=True)
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "vaxpass.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    # One background-job worker, as `vaxpass serve` starts: imports run there.
    worker = subprocess.Popen(cli + ["db_worker", "--interval", "0.2"], env=env)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    SERVER_ENV.update(env)
    yield f"http://127.0.0.1:{port}"
    for child in (process, worker):
        child.terminate()
        child.wait(10)
    if database:
        import psycopg

        with psycopg.connect(os.environ["VAXPASS_DATABASE_URL"], autocommit=True) as conn:
            conn.execute(
                f"DROP DATABASE IF EXISTS {urlparse(database).path.lstrip('/')} WITH (FORCE)"
            )


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def login(browser, server):
    contexts = []

    def _login(username: str):
        context = browser.new_context(locale="vi-VN")
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{server}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server}/")
        return page

    yield _login
    for context in contexts:
        context.close()


@pytest.fixture
def seed_more(server):
    """Run a seeding script of this folder against the live server's database."""

    def _seed(script: str) -> str:
        done = subprocess.run(
            [sys.executable, str(HERE / script), PASSWORD],
            env=SERVER_ENV,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout

    return _seed
