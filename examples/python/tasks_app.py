"""A small FastAPI app whose routes are guarded by ordinance (policies/team_tasks.ord).

Authentication is not this app's job: a gateway or middleware in front of it verifies the
session token (e.g. Clerk's) and forwards the verified claims as JSON in the
``X-Verified-Claims`` header. This app never calls an auth provider; it only authorizes.

Run it:  uvicorn tasks_app:app --app-dir examples/python   (uvicorn is not a dependency of
the tests; they use FastAPI's TestClient)
"""

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

import ordinance

POLICY = Path(
    os.environ.get(
        "ORDINANCE_POLICY",
        Path(__file__).resolve().parents[2] / "policies" / "team_tasks.ord",
    )
)

engine = ordinance.Engine.from_file(POLICY)  # compile once, share between requests
app = FastAPI(title="Team tasks, authorized by ordinance")

# The "database": task rows as the policy's `task` resource reads them.
TASKS: Dict[str, Dict[str, Any]] = {}


def reset_tasks() -> None:
    """Loads the demo rows (the tests call it before each test)."""
    TASKS.clear()
    TASKS.update({
        "1": {"id": "1", "title": "Ship v1", "owner_id": "org_team", "created_by_id": "user_alice", "done": False},
        "2": {"id": "2", "title": "Review PR", "owner_id": "org_team", "created_by_id": "user_bob", "done": False},
        "3": {"id": "3", "title": "Buy milk", "owner_id": "user_bob", "created_by_id": "user_bob", "done": False},
        "4": {"id": "4", "title": "Other org", "owner_id": "org_other", "created_by_id": "user_zed", "done": False},
    })


reset_tasks()


def as_resource(task: Dict[str, Any]) -> Dict[str, Any]:
    """The resource document for a row: its type plus the attributes the policy reads."""
    return {"type": "task", "id": task["id"], "owner_id": task["owner_id"],
            "created_by_id": task["created_by_id"]}


def session(x_verified_claims: Optional[str] = Header(default=None)) -> ordinance.Session:
    """The caller's verified claims, parsed once per request. No header: signed out."""
    try:
        return engine.session(x_verified_claims or "{}")
    except ordinance.ClaimsError as e:
        raise HTTPException(status_code=401, detail={"error": str(e)}) from None


def deny(decision: ordinance.Decision) -> HTTPException:
    """403 with what a UI needs: the reason code and what the user is missing."""
    return HTTPException(
        status_code=403,
        detail={"reason": decision.reason, "missing": decision.missing, "rule": decision.rule},
    )


def authorized(action: str) -> Callable[..., Dict[str, Any]]:
    """A dependency: the task named in the path, if the session may take `action` on it."""

    def check(task_id: str, s: ordinance.Session = Depends(session)) -> Dict[str, Any]:
        task = TASKS.get(task_id)
        if task is None:
            raise HTTPException(status_code=404, detail={"error": f"no task `{task_id}`"})
        decision = engine.decide(s, action, as_resource(task))
        if not decision:
            raise deny(decision)
        return task

    return check


class NewTask(BaseModel):
    title: str


class TaskUpdate(BaseModel):
    title: str


@app.get("/tasks")
def list_tasks(s: ordinance.Session = Depends(session)) -> List[Dict[str, Any]]:
    """Every task the session may view, decided in one batch."""
    rows = list(TASKS.values())
    decisions = engine.decide_many(
        [{"claims": s, "action": "view", "resource": as_resource(t)} for t in rows]
    )
    return [t for t, d in zip(rows, decisions) if d]


@app.get("/tasks/{task_id}")
def get_task(task: Dict[str, Any] = Depends(authorized("view")),
             s: ordinance.Session = Depends(session)) -> Dict[str, Any]:
    """A task, with the actions the session may take on it (to enable the right buttons)."""
    return {**task, "actions": engine.permitted_actions(s, as_resource(task))}


@app.post("/tasks", status_code=201)
def create_task(body: NewTask, s: ordinance.Session = Depends(session)) -> Dict[str, Any]:
    """Creates a task owned by the active organization, or by the user without one."""
    owner = s.org_id or s.user_id or ""
    task: Dict[str, Any] = {
        "id": str(len(TASKS) + 1), "title": body.title, "owner_id": owner,
        "created_by_id": s.user_id or "", "done": False,
    }
    decision = engine.decide(s, "create", as_resource(task))
    if not decision:
        raise deny(decision)
    TASKS[task["id"]] = task
    return task


@app.patch("/tasks/{task_id}")
def edit_task(body: TaskUpdate, task: Dict[str, Any] = Depends(authorized("edit"))) -> Dict[str, Any]:
    task["title"] = body.title
    return task


@app.post("/tasks/{task_id}/complete")
def complete_task(task: Dict[str, Any] = Depends(authorized("complete"))) -> Dict[str, Any]:
    task["done"] = True
    return task


@app.delete("/tasks/{task_id}", status_code=204)
def delete_task(task: Dict[str, Any] = Depends(authorized("delete"))) -> None:
    del TASKS[task["id"]]


def claims_header(claims: Dict[str, Any]) -> Dict[str, str]:
    """What the verifying gateway would send (used by the tests)."""
    return {"X-Verified-Claims": json.dumps(claims)}
