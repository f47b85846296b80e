from __future__ import annotations

from tests.performance.conftest import perf  # noqa: F401  (the same project, 30 days in)
