"""Shared fixtures for the ordinance Python test suite."""

import json
import os
import shutil
from pathlib import Path

import pytest

import ordinance

ROOT = Path(__file__).resolve().parents[3]
POLICIES = ROOT / "policies"
TEAM_TASKS = POLICIES / "team_tasks.ord"
NOW = 1721770150


def load_test_file(name):
    """A policy test file as a dict."""
    return json.loads((POLICIES / name).read_text())


def cli_binary():
    """The `ordinance` CLI built by cargo, if there is one (used to compare messages)."""
    explicit = os.environ.get("ORDINANCE_CLI")
    if explicit:
        return explicit
    dirs = [os.environ.get("CARGO_TARGET_DIR"), str(ROOT / "target")]
    built = [
        Path(d) / profile / "ordinance"
        for d in filter(None, dirs)
        for profile in ("release", "debug")
    ]
    built = [c for c in built if c.is_file() and os.access(c, os.X_OK)]
    if built:
        # The newest build: an old one left in another profile would compare against
        # messages the engine no longer prints.
        return str(max(built, key=lambda c: c.stat().st_mtime))
    return shutil.which("ordinance")


@pytest.fixture(scope="session")
def engine():
    return ordinance.Engine.from_file(TEAM_TASKS)


@pytest.fixture(scope="session")
def team():
    """team_tasks.test.json: its sessions and resources are realistic Clerk claims and rows."""
    return load_test_file("team_tasks.test.json")


@pytest.fixture()
def bob(team):
    """A licensed org:member of org_team (fresh copy per test)."""
    return json.loads(json.dumps(team["sessions"]["bob_member"]))


ORG_TASK_BY_BOB = {"type": "task", "owner_id": "org_team", "created_by_id": "user_bob"}
ORG_TASK_BY_ALICE = {"type": "task", "owner_id": "org_team", "created_by_id": "user_alice"}
