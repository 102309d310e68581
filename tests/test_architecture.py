"""The layout rules hold: the core imports no Django, layers point inward, migrations and
translations are in step with the code."""

import gettext
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).with_name("lint-imports")), str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_core_type_checks():
    """mypy --strict on src/vaxpass/core (the files listed in pyproject.toml)."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.django_db
def test_migrations_match_models():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)


def _po_entries(path: Path) -> dict[str, str]:
    entries = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        match = re.search(r'^msgid ((?:".*"\n)+)msgstr ((?:".*"\n?)+)', block + "\n", re.M)
        if match and "#, fuzzy" not in block:
            msgid, msgstr = ("".join(re.findall(r'"(.*)"', g)) for g in match.groups())
            if msgid:
                entries[msgid.encode().decode("unicode_escape").encode("latin-1").decode()] = msgstr
    return entries


# The shared catalogue, and the apps' own (each app keeps the strings it adds).
CATALOGUES = sorted((ROOT / "src/vaxpass").glob("**/locale/vi/LC_MESSAGES/*.po"))


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: str(p.relative_to(ROOT / "src")))
def test_vietnamese_catalogue_is_complete_and_compiled(po):
    entries = _po_entries(po)
    untranslated = [msgid for msgid, msgstr in entries.items() if not msgstr]
    assert not untranslated, untranslated
    # makemessages guesses "fuzzy" translations from similar strings; gettext ignores them
    # and they are usually wrong, so each must be translated by hand.
    assert "#, fuzzy" not in po.read_text("utf-8")
    with open(po.with_suffix(".mo"), "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    stale = [msgid for msgid in entries if catalogue.gettext(msgid) == msgid]
    assert not stale, f"django.mo is older than django.po, run compilemessages: {stale[:3]}"


def test_pages_are_vietnamese_by_default_and_english_on_request(client):
    assert "Đăng nhập" in client.get("/login/").content.decode()
    # An English browser (English Windows on a facility PC) still gets Vietnamese...
    assert "Đăng nhập" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en").content.decode()
    # ... until the user picks English with the switcher, which remembers it in a cookie.
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert "Log in" in client.get("/login/").content.decode()
    client.post("/i18n/setlang/", {"language": "vi", "next": "/login/"})
    assert "Đăng nhập" in client.get("/login/").content.decode()
