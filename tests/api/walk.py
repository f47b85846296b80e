"""The API for tests/test_permissions.py's walk over every URL.

/api/v1/ resources and the schema answer without a login, by design (a token or a
session says who calls; the schema is public), and their routes take ids by regex, which
the walk cannot fill in: tests/api covers every rule of them instead.
"""

from __future__ import annotations

from synchrony.api.urls import router

API_PUBLIC = {"api:schema", "api:docs", *(f"api:{route.name}" for route in router.urls)}
