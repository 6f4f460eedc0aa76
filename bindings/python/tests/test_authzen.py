"""AuthZEN: Engine(..., directory=), evaluate and evaluations, and the interop suites."""

import json

import pytest

import ordinance
from conftest import ROOT

SUITES = ROOT / "tests" / "conformance" / "authzen" / "suites.json"
POLICY = ROOT / "policies" / "authzen_todo.ord"
DIRECTORY = ROOT / "policies" / "authzen_todo.directory.json"

SIMPLE = """
resource task { owner_id: string }
action edit on task
@id("own") permit edit on task when resource.owner_id == user.id
"""


def request(owner, **extra):
    return {
        "subject": {"type": "user", "id": "user_1"},
        "action": {"name": "edit"},
        "resource": {"type": "task", "id": "t1", "properties": {"owner_id": owner}},
        **extra,
    }


def test_evaluate():
    e = ordinance.Engine(SIMPLE)
    assert e.evaluate(request("user_1")) == {"decision": True}
    deny = e.evaluate(request("user_2"), now=1721770150)
    assert deny["decision"] is False
    assert deny["context"]["reason"] == "no_matching_rule"


def test_evaluate_bad_request_raises():
    e = ordinance.Engine(SIMPLE)
    with pytest.raises(ordinance.RequestError, match="^invalid request"):
        e.evaluate({"action": {"name": "edit"}})
    with pytest.raises(ordinance.RequestError, match="^invalid request"):
        e.evaluations({"evaluations": {"resource": 1}})
    # A malformed batch item fails closed on its own: the request is answered.
    failed = e.evaluations({"evaluations": [{"resource": 1}]})["evaluations"][0]
    assert failed["decision"] is False
    assert failed["context"]["reason"] == "invalid_request"
    assert "400" in failed["context"]["reason_admin"]
    with pytest.raises(ordinance.RequestError, match=r"`request.subject` is of type `set`"):
        e.evaluate({"subject": {1}})


def test_evaluations_semantics():
    e = ordinance.Engine(SIMPLE)
    batch = {
        "subject": {"type": "user", "id": "user_1"},
        "action": {"name": "edit"},
        "evaluations": [
            {"resource": {"type": "task", "id": str(i), "properties": {"owner_id": owner}}}
            for i, owner in enumerate(["user_1", "user_2", "user_1"])
        ],
    }
    all_ = e.evaluations(batch)["evaluations"]
    assert [d["decision"] for d in all_] == [True, False, True]
    batch["options"] = {"evaluations_semantic": "deny_on_first_deny"}
    assert [d["decision"] for d in e.evaluations(batch)["evaluations"]] == [True, False]
    # the same answers as single evaluations
    for item, got in zip(batch["evaluations"], all_):
        single = {"subject": batch["subject"], "action": batch["action"], **item}
        assert e.evaluate(single) == got


def test_directory_forms_and_errors():
    text = DIRECTORY.read_text()
    policy = POLICY.read_text()
    a = ordinance.Engine.from_file(POLICY, directory=json.loads(text))
    b = ordinance.Engine(policy, directory=text)
    c = ordinance.Engine.from_file(POLICY, directory=text.encode())
    req = {"subject": {"type": "user", "id": next(iter(json.loads(text)))},
           "action": {"name": "can_read_user"},
           "resource": {"type": "user", "id": "beth@the-smiths.com"}}
    assert a.evaluate(req) == b.evaluate(req) == c.evaluate(req)
    with pytest.raises(ordinance.RequestError, match="^invalid directory: subject `u` sets the registered claim `org_role`"):
        ordinance.Engine(SIMPLE, directory={"u": {"org_role": "org:admin"}})
    with pytest.raises(ordinance.RequestError, match="^invalid directory"):
        ordinance.Engine(SIMPLE, directory='{"u": {}, "u": {}}')
    with pytest.raises(ordinance.RequestError, match=r"`directory.u` is of type `set`"):
        ordinance.Engine(SIMPLE, directory={"u": {1}})
    assert ordinance.Engine(SIMPLE, directory=None).evaluate(request("user_1"))["decision"]


def test_interop_suites():
    if not SUITES.is_file():
        pytest.skip(f"{SUITES} does not exist yet")
    spec = json.loads(SUITES.read_text())
    base = SUITES.parent
    engine = ordinance.Engine.from_file(base / spec["policy"], directory=(base / spec["directory"]).read_text())
    counted = 0
    failures = []
    for suite in spec["suites"]:
        doc = json.loads((base / suite).read_text())
        for i, item in enumerate(doc.get("evaluation", [])):
            got = engine.evaluate(item["request"])
            counted += 1
            if got.get("decision") != item["expected"]:
                failures.append(f"{suite} evaluation {i}: expected {item['expected']}, got {got}")
        for i, item in enumerate(doc.get("evaluations", [])):
            got = engine.evaluations(item["request"])
            counted += 1
            decisions = [{"decision": d["decision"]} for d in got["evaluations"]]
            if decisions != item["expected"]:
                failures.append(f"{suite} evaluations {i}: expected {item['expected']}, got {decisions}")
    assert not failures, "\n".join(failures)
    assert counted >= 80
