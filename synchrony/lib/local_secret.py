"""A random SECRET_KEY for this checkout, kept in var/secret_key (git-ignored).

Only the developer entry points (`manage.py`, `make run`) fall back to it when the
environment has none; the ASGI/WSGI servers and Celery read settings as they are, so a
deployment without SECRET_KEY still refuses to start.
"""

from __future__ import annotations

import secrets
from pathlib import Path

KEY_FILE = Path(__file__).resolve().parents[2] / "var" / "secret_key"


def local_secret_key() -> str:
    if not KEY_FILE.exists():
        KEY_FILE.parent.mkdir(exist_ok=True)
        KEY_FILE.write_text(secrets.token_urlsafe(64) + "\n")
        KEY_FILE.chmod(0o600)
    return KEY_FILE.read_text().strip()
