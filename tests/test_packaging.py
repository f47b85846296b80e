from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_dockerfile_passes_hadolint():
    hadolint = ROOT / ".venv" / "bin" / "hadolint"
    result = subprocess.run([str(hadolint), "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_passes_ruff():
    ruff = ROOT / ".venv" / "bin" / "ruff"
    result = subprocess.run(
        [str(ruff), "check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_is_formatted():
    ruff = ROOT / ".venv" / "bin" / "ruff"
    result = subprocess.run(
        [str(ruff), "format", "--check", "--quiet", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_code_passes_mypy():
    """synchrony/ only (pyproject's [tool.mypy] says how): tests/ is not held to it yet,
    its factories' attributes being untyped."""
    mypy = ROOT / ".venv" / "bin" / "mypy"
    result = subprocess.run([str(mypy), "synchrony"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_migration_is_missing():
    result = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "python"),
            "manage.py",
            "makemigrations",
            "--check",
            "--dry-run",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_template_comment_spans_lines():
    """Django's {# #} is one line only: a multi-line one is printed on the page."""
    import re

    for path in (ROOT / "templates").rglob("*.html"):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            assert not re.search(r"\{#(?!.*#\})", line), f"{path}:{number} opens {{# without #}}"
