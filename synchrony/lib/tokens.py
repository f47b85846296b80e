"""Secret tokens handed to people (share links, feeds, API tokens).

Only a token's SHA-256 is stored: the token is shown once, and a leaked database
row does not open anything. The tokens are 256 random bits, so a plain hash (no
salt, no slow KDF) is enough and lets a lookup be one indexed equality.
"""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
