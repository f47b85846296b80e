"""Settings come from the environment, strictly; production settings pass the deploy checks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROD = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-production-secret-key-with-enough-entropy-1234",
    "ALLOWED_HOSTS": "synchrony.example.com",
    "SITE_URL": "https://synchrony.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/synchrony",
}


def run(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    ours = {
        *PROD,
        "DJANGO_SETTINGS_MODULE",
        "SECURE_SSL_REDIRECT",
        "REDIS_URL",
        "SECURE_HSTS_SECONDS",
    }
    clean = {k: v for k, v in os.environ.items() if k not in ours}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "synchrony.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_pass_check_deploy():
    result = run(["check", "--deploy", "--fail-level", "WARNING"], **PROD)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_malformed_value_stops_start_up_naming_the_variable():
    result = run(["check"], **{**PROD, "DEBUG": "perhaps", "SECURE_HSTS_SECONDS": "a year"})
    assert result.returncode != 0
    assert "Bad environment" in result.stderr
    assert "DEBUG" in result.stderr and "SECURE_HSTS_SECONDS" in result.stderr


def test_a_missing_or_weak_secret_key_stops_production():
    assert "SECRET_KEY" in run(["check"], **{**PROD, "SECRET_KEY": ""}).stderr
    weak = run(["check"], **{**PROD, "SECRET_KEY": "short"})
    assert weak.returncode != 0 and "at least 50 characters" in weak.stderr


def test_debug_is_off_unless_asked_for():
    from django.conf import settings

    assert settings.DEBUG is False
    result = run(
        ["shell", "-c", "from django.conf import settings; print(settings.DEBUG)"],
        SECRET_KEY=PROD["SECRET_KEY"],
        SECURE_SSL_REDIRECT="false",
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stderr


def test_manage_py_without_a_key_uses_this_checkouts_own_random_key():
    from synchrony.lib.local_secret import local_secret_key

    result = run(["check"], DEBUG="true")
    assert result.returncode == 0, result.stderr
    assert len(local_secret_key()) >= 50
    # An explicitly empty key is a mistake, not a request for the local one.
    assert run(["check"], SECRET_KEY="").returncode != 0
