"""The FastAPI example, through FastAPI's TestClient."""

import time
import warnings

import pytest

with warnings.catch_warnings():
    # this starlette warns that its TestClient will move from httpx to httpx2
    warnings.filterwarnings("ignore", message=".*httpx2")
    from fastapi.testclient import TestClient

import tasks_app
from tasks_app import app, claims_header


@pytest.fixture(autouse=True)
def fresh_rows():
    tasks_app.reset_tasks()


client = TestClient(app)


def clerk_claims(sub, role=None, permissions=(), licensed=True, org="org_team"):
    """Verified Clerk v1 session claims, valid for the next minute."""
    now = int(time.time())
    claims = {"sub": sub, "sid": f"sess_{sub}", "iat": now, "nbf": now - 5, "exp": now + 60,
              "azp": "http://localhost:3000", "iss": "https://example.clerk.accounts.dev"}
    if role:
        claims.update({"org_id": org, "org_slug": "team", "org_role": role,
                       "org_permissions": list(permissions),
                       "org_metadata": {"isLicensed": licensed}})
    return claims


ALICE = clerk_claims("user_alice", "org:manager", ["org:tasks:view", "org:tasks:edit", "org:tasks:manage"])
BOB = clerk_claims("user_bob", "org:member", ["org:tasks:view", "org:tasks:edit"])
CHARLIE = clerk_claims("user_charlie", "org:viewer", ["org:tasks:view"])
BOB_NO_SEAT = clerk_claims("user_bob", "org:member", ["org:tasks:view", "org:tasks:edit"], licensed=False)


def test_member_edits_own_task_but_not_others():
    ok = client.patch("/tasks/2", json={"title": "Reviewed"}, headers=claims_header(BOB))
    assert ok.status_code == 200 and ok.json()["title"] == "Reviewed"
    denied = client.patch("/tasks/1", json={"title": "x"}, headers=claims_header(BOB))
    assert denied.status_code == 403
    assert denied.json()["detail"] == {
        "reason": "no_matching_rule",
        "missing": [{"kind": "permission", "name": "org:tasks:manage"}],
        "rule": None,
    }
    assert tasks_app.TASKS["1"]["title"] == "Ship v1"


def test_manager_edits_any_org_task():
    r = client.patch("/tasks/1", json={"title": "Ship v1.1"}, headers=claims_header(ALICE))
    assert r.status_code == 200


def test_unlicensed_member_is_forbidden_with_the_license_hint():
    r = client.post("/tasks/2/complete", headers=claims_header(BOB_NO_SEAT))
    assert r.status_code == 403
    detail = r.json()["detail"]
    assert detail["reason"] == "forbidden:license_required"
    assert detail["rule"] == "license_required"
    assert {"kind": "license", "name": "org.metadata.isLicensed"} in detail["missing"]
    # viewing needs no seat, and personal tasks are never seat-licensed
    assert client.get("/tasks/2", headers=claims_header(BOB_NO_SEAT)).status_code == 200
    assert client.post("/tasks/3/complete", headers=claims_header(BOB_NO_SEAT)).status_code == 200


def test_viewer_sees_buttons_for_what_it_may_do():
    r = client.get("/tasks/1", headers=claims_header(CHARLIE))
    assert r.status_code == 200
    assert r.json()["actions"] == ["view"]
    r = client.get("/tasks/2", headers=claims_header(BOB))
    assert r.json()["actions"] == ["view", "create", "edit", "complete", "delete"]


def test_list_shows_only_viewable_tasks():
    ids = [t["id"] for t in client.get("/tasks", headers=claims_header(BOB)).json()]
    assert ids == ["1", "2", "3"]
    ids = [t["id"] for t in client.get("/tasks", headers=claims_header(CHARLIE)).json()]
    assert ids == ["1", "2"]
    assert client.get("/tasks").json() == []  # signed out


def test_create_and_delete():
    r = client.post("/tasks", json={"title": "New"}, headers=claims_header(CHARLIE))
    assert r.status_code == 403
    assert r.json()["detail"]["missing"] == [{"kind": "permission", "name": "org:tasks:edit"}]
    r = client.post("/tasks", json={"title": "New"}, headers=claims_header(BOB))
    assert r.status_code == 201 and r.json()["owner_id"] == "org_team"
    new_id = r.json()["id"]
    assert client.delete(f"/tasks/{new_id}", headers=claims_header(CHARLIE)).status_code == 403
    assert client.delete(f"/tasks/{new_id}", headers=claims_header(BOB)).status_code == 204
    assert new_id not in tasks_app.TASKS


def test_signed_out_and_bad_claims():
    r = client.patch("/tasks/3", json={"title": "x"})
    assert r.status_code == 403
    assert r.json()["detail"]["reason"] == "no_matching_rule"
    r = client.get("/tasks/1", headers={"X-Verified-Claims": '{"sub": 42}'})
    assert r.status_code == 401
    assert r.json()["detail"]["error"] == "invalid claims: claim `sub` must be a string, found a number"
    expired = dict(BOB, exp=int(time.time()) - 3600, iat=int(time.time()) - 7200, nbf=int(time.time()) - 7200)
    r = client.get("/tasks/2", headers=claims_header(expired))
    assert r.status_code == 403 and r.json()["detail"]["reason"] == "session_expired"
    assert client.get("/tasks/99", headers=claims_header(BOB)).status_code == 404
