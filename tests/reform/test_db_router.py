"""Reads go to the replica only inside use_replica(); writes and everything else stay on the primary."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import transaction

from orgs.models import OrgUnit
from reform import db_router
from reform.db_router import ReplicaRouter, use_replica

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def with_replica(monkeypatch):
    monkeypatch.setattr(db_router, "replica_configured", lambda: True)


def test_reads_use_the_primary_unless_a_block_asks_for_the_replica(with_replica):
    router = ReplicaRouter()

    assert router.db_for_read(OrgUnit) is None  # Django's default: the primary
    with use_replica():
        assert router.db_for_read(OrgUnit) == "replica"
        with use_replica():
            assert router.db_for_read(OrgUnit) == "replica"
        assert router.db_for_read(OrgUnit) == "replica"
    assert router.db_for_read(OrgUnit) is None


def test_writes_always_use_the_primary(with_replica):
    router = ReplicaRouter()

    with use_replica():
        assert router.db_for_write(OrgUnit) == "default"
    assert router.db_for_write(OrgUnit) == "default"


def test_inside_a_transaction_reads_stay_on_the_primary(with_replica, db):
    router = ReplicaRouter()

    with use_replica(), transaction.atomic():
        assert router.db_for_read(OrgUnit) == "default"


def test_without_a_replica_the_block_changes_nothing():
    with use_replica():
        assert ReplicaRouter().db_for_read(OrgUnit) is None


def test_the_replica_is_never_migrated():
    router = ReplicaRouter()

    assert router.allow_migrate("replica", "tasks_app") is False
    assert router.allow_migrate("default", "tasks_app") is True


SCRIPT = """
import json, django
django.setup()
from django.conf import settings
from reform.db_router import use_replica
from django.contrib.auth.models import Group

Group.objects.create(name="新建专班")  # written after the replica's copy was taken
seen = {"aliases": sorted(settings.DATABASES), "primary": Group.objects.filter(name="新建专班").exists()}
with use_replica():
    seen["in_block"] = Group.objects.filter(name="新建专班").exists()
    Group.objects.create(name="块内新建")
seen["after_block"] = Group.objects.filter(name="新建专班").exists()
seen["written_to_primary"] = Group.objects.filter(name="块内新建").exists()
with use_replica():
    seen["new2_on_replica"] = Group.objects.filter(name="块内新建").exists()
print(json.dumps(seen))
"""


def test_a_lagging_replica_is_read_only_inside_the_block(tmp_path):
    """Two SQLite files: the replica is a copy taken before the writes, like a replica lagging behind."""
    primary, replica = tmp_path / "primary.sqlite3", tmp_path / "replica.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL"}}
    env.update(DJANGO_SETTINGS_MODULE="reform.settings.local", DATABASE_URL=f"sqlite:///{primary}")
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr
    for suffix in ("", "-wal"):
        if Path(f"{primary}{suffix}").exists():
            shutil.copy(f"{primary}{suffix}", f"{replica}{suffix}")

    result = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=ROOT,
        env={**env, "DATABASE_REPLICA_URL": f"sqlite:///{replica}"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {
        "aliases": ["default", "replica"],
        "primary": True,
        "in_block": False,  # the replica has not caught up
        "after_block": True,
        "written_to_primary": True,  # a write inside the block still goes to the primary
        "new2_on_replica": False,
    }
