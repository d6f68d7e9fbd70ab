"""Shared benchmark bootstrap: a throwaway PostgreSQL (or SQLite) database of the benchmark's own."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup_django(db_name: str, *, fresh: bool = True) -> None:
    """Point Django at ``db_name`` on the local PostgreSQL (or DATABASE_URL if set) and migrate."""
    if "DATABASE_URL" not in os.environ:
        if fresh:
            subprocess.run(
                ["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", "--force", db_name], check=True
            )
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", db_name], check=True)
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{db_name}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "reform.settings.local")
    os.environ.setdefault("DEBUG", "false")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]
