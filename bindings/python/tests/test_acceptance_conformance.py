"""Acceptance tests for issue 6 in Python, written from the issue text and the README: a
Clerk v2 token decides like its v1 twin, and an AuthZEN engine is loaded with its subject
directory the way a Python user would load it (a dict, JSON text, or the directory file)."""

import json
import pathlib

import pytest

import ordinance
from conftest import ROOT, NOW

POLICY = ROOT / "policies" / "authzen_todo.ord"
DIRECTORY = ROOT / "policies" / "authzen_todo.directory.json"
RICK = "CiRmZDA2MTRkMy1jMzlhLTQ3ODEtYjdiZC04Yjk2ZjVhNTEwMGQSBWxvY2Fs"
DELETE_MORTYS = {
    "subject": {"type": "user", "id": RICK},
    "action": {"name": "can_delete_todo"},
    "resource": {"type": "todo", "id": "1", "properties": {"ownerID": "morty@the-citadel.com"}},
}


def directories():
    text = DIRECTORY.read_text()
    return {
        "dict": json.loads(text),
        "json text": text,
        "json bytes": text.encode(),
        "path": DIRECTORY,
        "path as str": str(DIRECTORY),
    }


@pytest.mark.parametrize("kind", sorted(directories()))
def test_directory_forms(kind):
    directory = directories()[kind]
    for engine in (
        ordinance.Engine.from_file(POLICY, directory=directory),
        ordinance.Engine(POLICY.read_text(), directory=directory),
    ):
        assert engine.evaluate(DELETE_MORTYS) == {"decision": True}, kind


def test_directory_path_errors_raise_request_error():
    with pytest.raises(ordinance.RequestError, match="no_such_directory.json"):
        ordinance.Engine.from_file(POLICY, directory=pathlib.Path("no_such_directory.json"))
    with pytest.raises(ordinance.RequestError):
        ordinance.Engine.from_file(POLICY, directory="no_such_directory.json")
    # A file that is not a directory document is refused, naming the file.
    with pytest.raises(ordinance.RequestError, match="authzen_todo.ord"):
        ordinance.Engine.from_file(POLICY, directory=POLICY)


def test_v2_token_decides_like_its_v1_twin():
    engine = ordinance.Engine.from_file(ROOT / "policies" / "team_tasks.ord")
    v1 = {"sub": "user_bob", "org_id": "org_1", "org_slug": "acme", "org_role": "org:member",
          "org_permissions": ["org:tasks:view", "org:tasks:edit"], "org_metadata": {"isLicensed": True}}
    v2 = {"v": 2, "sub": "user_bob", "fea": "o:tasks",
          "o": {"id": "org_1", "slg": "acme", "rol": "member", "per": "view,edit", "fpm": "3"},
          "org_metadata": {"isLicensed": True}}
    for owner, creator in [("org_1", "user_bob"), ("org_1", "user_alice"), ("user_bob", "x"), ("org_2", "x")]:
        task = {"type": "task", "id": "1", "owner_id": owner, "created_by_id": creator}
        for action in ["view", "create", "edit", "complete", "delete"]:
            a = engine.decide(v1, action, task, now=NOW).to_dict()
            assert a == engine.decide(v2, action, task, now=NOW).to_dict()
            assert a == engine.decide(json.dumps(v2), action, task, now=NOW).to_dict()
        assert engine.permitted_actions(v1, task, now=NOW) == engine.permitted_actions(v2, task, now=NOW)
    bad = dict(v2, o=dict(v2["o"], fpm="8"))
    d = engine.decide(bad, "view", {"type": "task", "owner_id": "user_bob", "created_by_id": "x"}, now=NOW)
    assert (d.allowed, d.reason) == (False, "invalid_claims")
    with pytest.raises(ordinance.ClaimsError):
        engine.session(bad)
