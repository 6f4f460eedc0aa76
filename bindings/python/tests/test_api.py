"""The public API: Engine, Session, Decision and the exceptions."""

import json
import re
import subprocess
from pathlib import Path

import pytest

import ordinance
from conftest import NOW, ORG_TASK_BY_ALICE, ORG_TASK_BY_BOB, TEAM_TASKS, cli_binary


def test_public_names_and_docstrings():
    public = [
        "ClaimsError", "Decision", "Engine", "Filter", "OrdinanceError", "OrdinanceInternalError",
        "PolicyError", "RequestError", "Session",
    ]
    assert sorted(ordinance.__all__) == sorted(public)
    assert ordinance.__doc__
    for name in public:
        obj = getattr(ordinance, name)
        assert obj.__module__ == "ordinance", name
        assert obj.__doc__ and obj.__doc__.strip(), name
    for cls, members in {
        ordinance.Engine: ["from_file", "session", "decide", "decide_many",
                           "permitted_actions", "explain", "explain_json",
                           "evaluate", "evaluations", "filter"],
        ordinance.Filter: ["kind", "reason", "resource_type", "action", "to_dict", "to_sql"],
        ordinance.Decision: ["allowed", "reason", "rule", "missing", "error", "to_dict"],
        ordinance.Session: ["user_id", "org_id", "org_role", "org_permissions"],
    }.items():
        for m in members:
            assert getattr(cls, m).__doc__, f"{cls.__name__}.{m}"


def test_stubs_and_marker_are_installed():
    package = Path(ordinance.__file__).parent
    assert (package / "py.typed").is_file()
    stub = (package / "__init__.pyi").read_text()
    for name in ordinance.__all__:
        assert f"class {name}" in stub, name


def test_exception_hierarchy():
    for e in (ordinance.PolicyError, ordinance.ClaimsError, ordinance.RequestError,
              ordinance.OrdinanceInternalError):
        assert issubclass(e, ordinance.OrdinanceError)
    assert issubclass(ordinance.OrdinanceError, Exception)


# ------------------------------------------------------------------------- Engine construction

def test_engine_from_text_and_file():
    text = TEAM_TASKS.read_text()
    a = ordinance.Engine(text)
    b = ordinance.Engine.from_file(TEAM_TASKS)
    c = ordinance.Engine.from_file(str(TEAM_TASKS))
    assert "team_tasks.ord" in repr(b) and "rules=6" in repr(b)
    claims = {"sub": "user_1"}
    task = {"type": "task", "owner_id": "user_1", "created_by_id": "user_1"}
    assert a.decide(claims, "edit", task, now=NOW).to_dict() == b.decide(claims, "edit", task, now=NOW).to_dict()
    assert c.decide(claims, "edit", task, now=NOW).rule == "personal_task"


BAD_POLICY = "resource doc {}\naction read on doc\npermit read on doc\npermit vew on task\n"


def test_policy_error_fields():
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine(BAD_POLICY)
    err = info.value
    assert (err.line, err.column) == (4, 15)
    assert err.code == "unknown-type"
    assert err.message == "unknown resource type `task`"
    assert err.help and "resource task" in err.help
    assert len(err.diagnostics) >= 1
    first = err.diagnostics[0]
    assert first["line"] == 4 and first["column"] == 15 and first["file"] == "policy"
    assert first["span"] == (BAD_POLICY.rindex("task"), BAD_POLICY.rindex("task") + 4)
    assert str(err).startswith("policy:4:15: error: unknown resource type `task`")


def test_policy_error_lists_every_problem():
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine(
            "resource doc {}\naction read on doc\npermit read on doc\npermit red on doc\npermit read on dco\n"
        )
    err = info.value
    assert len(err.diagnostics) == 2
    assert [d["line"] for d in err.diagnostics] == [4, 5]
    assert str(err).rstrip().endswith("2 errors")


def test_policy_error_message_is_the_cli_message(tmp_path):
    bad = tmp_path / "bad.ord"
    bad.write_text(BAD_POLICY)
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine.from_file(bad)
    message = str(info.value)
    assert message == (
        "bad.ord:4:15: error: unknown resource type `task`\n"
        "  |\n"
        "4 | permit vew on task\n"
        "  |               ^^^^\n"
        "  = help: declare it: `resource task { owner_id: string }`"
    ), message
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    out = subprocess.run([cli, "check", str(bad)], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.rstrip("\n") == message


def test_policy_error_for_missing_file(tmp_path):
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine.from_file(tmp_path / "nope.ord")
    assert info.value.code == "io"
    assert "cannot read the policy" in str(info.value)


# ------------------------------------------------------------------------- decide

def test_decide_allow_and_deny(engine, bob):
    d = engine.decide(bob, "edit", ORG_TASK_BY_BOB, now=NOW)
    assert d and d.allowed and d.reason == "permit" and d.rule == "org_edit_own"
    assert d.missing == [] and d.error is None
    deny = engine.decide(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)
    assert not deny and deny.reason == "no_matching_rule" and deny.rule is None
    assert deny.missing == [{"kind": "permission", "name": "org:tasks:manage"}]
    assert repr(deny) == (
        "Decision(allowed=False, reason='no_matching_rule', rule=None, "
        "missing=[{'kind': 'permission', 'name': 'org:tasks:manage'}])"
    )
    assert repr(d) == "Decision(allowed=True, reason='permit', rule='org_edit_own', missing=[])"


def test_to_dict_is_the_rust_json(engine, bob):
    d = engine.decide(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)
    assert d.to_dict() == {
        "allowed": False,
        "reason": "no_matching_rule",
        "rule": None,
        "missing": [{"kind": "permission", "name": "org:tasks:manage"}],
    }
    bad = engine.decide(bob, "edit", {"type": "task"}, now=NOW)
    assert bad.to_dict() == {
        "allowed": False,
        "reason": "invalid_resource",
        "rule": None,
        "missing": [],
        "error": "invalid resource: attribute `owner_id` is missing",
    }
    assert "error='invalid resource: attribute `owner_id` is missing'" in repr(bad)


def test_to_dict_matches_cli_decide_output(engine, bob, tmp_path):
    """`ordinance decide` prints `decision.to_json()`; to_dict() must be that object."""
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    for resource in (ORG_TASK_BY_ALICE, ORG_TASK_BY_BOB, {"type": "task"}, {"type": "nope"}):
        (tmp_path / "c.json").write_text(json.dumps(bob))
        (tmp_path / "r.json").write_text(json.dumps(resource))
        out = subprocess.run(
            [cli, "decide", "--policy", str(TEAM_TASKS), "--claims", str(tmp_path / "c.json"),
             "--action", "edit", "--resource", str(tmp_path / "r.json"), "--now", str(NOW)],
            capture_output=True, text=True, check=True,
        )
        assert json.loads(out.stdout) == engine.decide(bob, "edit", resource, now=NOW).to_dict()


def test_claims_forms_agree(engine, bob):
    want = engine.decide(bob, "edit", ORG_TASK_BY_BOB, now=NOW).to_dict()
    text = json.dumps(bob)
    resource_text = json.dumps(ORG_TASK_BY_BOB)
    forms = [
        (text, ORG_TASK_BY_BOB),
        (text.encode(), resource_text),
        (bob, resource_text.encode()),
        (engine.session(bob), ORG_TASK_BY_BOB),
        (engine.session(text), resource_text),
    ]
    for claims, resource in forms:
        assert engine.decide(claims, "edit", resource, now=NOW).to_dict() == want


def test_invalid_input_is_a_deny_not_an_exception(engine, bob):
    cases = [
        ({"sub": 42}, ORG_TASK_BY_BOB, None, "invalid_claims",
         "invalid claims: claim `sub` must be a string, found a number"),
        ("not json", ORG_TASK_BY_BOB, None, "invalid_claims", None),
        (["a list"], ORG_TASK_BY_BOB, None, "invalid_claims", None),
        (bob, {"owner_id": "x"}, None, "invalid_resource",
         "invalid resource: field `type` is missing"),
        (bob, "{", None, "invalid_resource", None),
        (bob, ORG_TASK_BY_BOB, ["not", "an", "object"], "invalid_context", None),
        (bob, {"type": "nope"}, None, "unknown_resource_type", None),
    ]
    for claims, resource, context, reason, error in cases:
        d = engine.decide(claims, "edit", resource, context=context, now=NOW)
        assert not d and d.reason == reason, (claims, resource, d)
        assert d.error
        if error:
            assert d.error == error
    assert engine.decide(bob, "fly", ORG_TASK_BY_BOB, now=NOW).reason == "unknown_action"


def test_duplicate_keys_in_json_text_are_rejected(engine):
    d = engine.decide('{"sub": "user_bob", "sub": "user_alice"}', "view",
                      {"type": "task", "owner_id": "user_alice", "created_by_id": "x"}, now=NOW)
    assert d.reason == "invalid_claims" and "duplicate" in d.error
    d = engine.decide({"sub": "u"}, "view",
                      '{"type": "task", "owner_id": "u", "owner_id": "v", "created_by_id": "x"}', now=NOW)
    assert d.reason == "invalid_resource" and "duplicate" in d.error
    with pytest.raises(ordinance.ClaimsError, match="duplicate"):
        engine.session(b'{"sub": "a", "sub": "b"}')


def test_session_with_bad_resource_is_the_same_deny(engine, bob):
    session = engine.session(bob)
    for resource, context in [({"owner_id": 1}, None), ("[1]", None),
                              (ORG_TASK_BY_BOB, "nope"), ({"type": "task"}, {"a": 1})]:
        want = engine.decide(bob, "edit", resource, context=context, now=NOW).to_dict()
        got = engine.decide(session, "edit", resource, context=context, now=NOW).to_dict()
        assert got == want
        assert not got["allowed"]


def test_now_and_expiry(engine, bob):
    assert engine.decide(bob, "view", ORG_TASK_BY_BOB, now=NOW)
    expired = engine.decide(bob, "view", ORG_TASK_BY_BOB, now=bob["exp"] + 3600)
    assert expired.reason == "session_expired"
    early = engine.decide(bob, "view", ORG_TASK_BY_BOB, now=bob["nbf"] - 3600)
    assert early.reason == "session_not_yet_valid"
    # now=None reads the clock: the 2024 token has long expired.
    assert engine.decide(bob, "view", ORG_TASK_BY_BOB).reason == "session_expired"


def test_context(tmp_path):
    e = ordinance.Engine.from_file(TEAM_TASKS.parent / "calendar_scopes.ord")
    doc = json.loads((TEAM_TASKS.parent / "calendar_scopes.test.json").read_text())
    case = next(c for c in doc["cases"] if "context" in c)
    claims = doc["sessions"][case["session"]] if isinstance(case["session"], str) else case["session"]
    resource = doc["resources"][case["resource"]] if isinstance(case["resource"], str) else case["resource"]
    context = doc["contexts"][case["context"]] if isinstance(case["context"], str) else case["context"]
    d = e.decide(claims, case["action"], resource, context=context, now=doc["now"])
    assert d.allowed == case["allowed"]
    assert e.decide(claims, case["action"], resource, context=json.dumps(context), now=doc["now"]).to_dict() == d.to_dict()


# ------------------------------------------------------------------------- Session

def test_session(engine, bob):
    s = engine.session(bob)
    assert isinstance(s, ordinance.Session)
    assert (s.user_id, s.org_id, s.org_role) == ("user_bob", "org_team", "org:member")
    assert s.org_permissions == ["org:tasks:view", "org:tasks:edit"]
    assert repr(s) == "Session(user_id='user_bob', org_id='org_team', org_role='org:member')"
    anonymous = engine.session({})
    assert anonymous.user_id is None
    assert repr(anonymous) == "Session(user_id=None, org_id=None, org_role=None)"
    # One Session serves any engine.
    other = ordinance.Engine.from_file(TEAM_TASKS)
    assert other.decide(s, "edit", ORG_TASK_BY_BOB, now=NOW)


def test_session_errors(engine):
    with pytest.raises(ordinance.ClaimsError, match=r"^invalid claims: claim `sub` must be a string"):
        engine.session({"sub": 1})
    with pytest.raises(ordinance.ClaimsError):
        engine.session("{not json")
    with pytest.raises(ordinance.ClaimsError):
        engine.session(b"\xff\xfe")
    with pytest.raises(ordinance.ClaimsError, match="claims must be a JSON object"):
        engine.session([])


# ------------------------------------------------------------------------- permitted_actions / explain

def test_permitted_actions(engine, bob, team):
    assert engine.permitted_actions(bob, ORG_TASK_BY_ALICE, now=NOW) == ["view", "create"]
    assert engine.permitted_actions(bob, ORG_TASK_BY_BOB, now=NOW) == [
        "view", "create", "edit", "complete", "delete"]
    assert engine.permitted_actions(engine.session(bob), json.dumps(ORG_TASK_BY_BOB), now=NOW) == [
        "view", "create", "edit", "complete", "delete"]
    assert engine.permitted_actions(bob, {"type": "nope"}, now=NOW) == []
    # each permitted action is exactly an allowed decide
    for action in ("view", "create", "edit", "complete", "delete"):
        allowed = bool(engine.decide(bob, action, ORG_TASK_BY_ALICE, now=NOW))
        assert allowed == (action in engine.permitted_actions(bob, ORG_TASK_BY_ALICE, now=NOW))


def test_permitted_actions_and_explain_raise_on_bad_input(engine, bob):
    for call in (
        lambda c, r, **kw: engine.permitted_actions(c, r, **kw),
        lambda c, r, **kw: engine.explain(c, "edit", r, **kw),
        lambda c, r, **kw: engine.explain_json(c, "edit", r, **kw),
    ):
        with pytest.raises(ordinance.ClaimsError):
            call({"sub": 1}, ORG_TASK_BY_BOB)
        with pytest.raises(ordinance.RequestError, match="^invalid resource: field `type` is missing$"):
            call(bob, {})
        with pytest.raises(ordinance.RequestError, match="^invalid context"):
            call(bob, ORG_TASK_BY_BOB, context=[1])


def test_explain(engine, bob):
    text = engine.explain(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)
    assert text.startswith("decision: DENY (no_matching_rule)")
    assert "has(org:tasks:manage) = false" in text
    as_json = engine.explain_json(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)
    assert as_json["decision"] == engine.decide(bob, "edit", ORG_TASK_BY_ALICE, now=NOW).to_dict()
    ids = [r["id"] for r in as_json["rules"]]
    assert "org_manage" in ids and "license_required" in ids
    assert all(set(r) == {"id", "effect", "outcome", "steps"} for r in as_json["rules"])


def test_explain_matches_cli(engine, bob, tmp_path):
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    (tmp_path / "c.json").write_text(json.dumps(bob))
    (tmp_path / "r.json").write_text(json.dumps(ORG_TASK_BY_ALICE))
    args = [cli, "explain", "--policy", str(TEAM_TASKS), "--claims", str(tmp_path / "c.json"),
            "--action", "edit", "--resource", str(tmp_path / "r.json"), "--now", str(NOW)]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    assert out.stdout == engine.explain(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)
    out = subprocess.run(args + ["--json"], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == engine.explain_json(bob, "edit", ORG_TASK_BY_ALICE, now=NOW)


# ------------------------------------------------------------------------- decide_many

def test_decide_many(engine, bob):
    session = engine.session(bob)
    requests = [
        {"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": NOW},
        {"claims": bob, "action": "edit", "resource": ORG_TASK_BY_ALICE, "now": NOW},
        {"claims": session, "action": "view", "resource": ORG_TASK_BY_ALICE, "now": NOW},
        {"claims": bob, "action": "view", "resource": ORG_TASK_BY_BOB, "now": NOW, "context": None},
        {"claims": dict(bob), "action": "edit", "resource": ORG_TASK_BY_BOB, "now": None},
    ]
    got = engine.decide_many(requests)
    assert [d.allowed for d in got] == [True, False, True, True, False]
    assert got[4].reason == "session_expired"
    assert engine.decide_many([]) == []
    assert [d.to_dict() for d in engine.decide_many(tuple(requests))] == [d.to_dict() for d in got]


REQUEST_SHAPE = '; a request is {"claims", "action", "resource", "context"?, "now"?}'


def test_decide_many_malformed_requests_are_denies(engine, bob):
    session = engine.session(bob)
    cases = [
        ("not a dict", "invalid_request", "invalid request: must be a JSON object"),
        ({"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB, "extra": 1},
         "invalid_request", "invalid request: unknown field `extra`"),
        ({"claims": bob, "action": 7, "resource": ORG_TASK_BY_BOB},
         "invalid_request", "invalid request: `action` must be a string"),
        ({"claims": bob, "resource": ORG_TASK_BY_BOB},
         "invalid_request", "invalid request: the request has no `action`" + REQUEST_SHAPE),
        ({"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": 1.5},
         "invalid_request", "invalid request: `now` must be an integer"),
        ({"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": True},
         "invalid_request", "invalid request: `now` must be an integer"),
        ({"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": 2**70},
         "invalid_request", "invalid request: `now` must be an integer"),
        # a key left out is a malformed request; present but unusable is the input's fault
        ({"action": "edit", "resource": ORG_TASK_BY_BOB, "now": NOW},
         "invalid_request", "invalid request: the request has no `claims`" + REQUEST_SHAPE),
        ({"claims": None, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": NOW}, "invalid_claims", None),
        ({"claims": {"sub": 5}, "action": "edit", "resource": ORG_TASK_BY_BOB, "now": NOW},
         "invalid_claims", None),
        # claims as JSON text are read as `decide` reads them (test_acceptance.py)
        ({"claims": json.dumps("a string"), "action": "edit", "resource": ORG_TASK_BY_BOB, "now": NOW},
         "invalid_claims", "invalid claims: claims must be a JSON object, found a string"),
        ({"claims": bob, "action": "edit", "now": NOW},
         "invalid_request", "invalid request: the request has no `resource`" + REQUEST_SHAPE),
        ({"claims": bob, "action": "edit", "resource": None, "now": NOW}, "invalid_resource", None),
        ({"claims": bob, "action": "edit", "resource": {"type": "task"}, "now": NOW},
         "invalid_resource", None),
        ({"claims": session, "action": "edit", "resource": {"type": "task"}, "now": NOW},
         "invalid_resource", "invalid resource: attribute `owner_id` is missing"),
        ({"claims": session, "action": "edit", "resource": ORG_TASK_BY_BOB, "context": 3},
         "invalid_context", None),
        ({"claims": session, "action": "edit", "resource": ORG_TASK_BY_BOB, "bad": 3},
         "invalid_request", "invalid request: unknown field `bad`"),
    ]
    got = engine.decide_many([c[0] for c in cases])
    for (request, reason, error), d in zip(cases, got):
        assert not d and d.reason == reason, (request, d)
        if error:
            assert d.error == error, (request, d)


def test_decide_many_matches_decide(engine, team):
    sessions = list(team["sessions"].values())
    resources = list(team["resources"].values())
    requests = []
    for i in range(700):  # spans several internal chunks
        requests.append({
            "claims": sessions[i % len(sessions)],
            "action": ["view", "create", "edit", "complete", "delete"][i % 5],
            "resource": resources[(i // 3) % len(resources)],
            "now": NOW + (i % 2) * 100,
        })
    got = [d.to_dict() for d in engine.decide_many(requests)]
    want = [engine.decide(r["claims"], r["action"], r["resource"], now=r["now"]).to_dict()
            for r in requests]
    assert got == want
    assert any(d["allowed"] for d in got) and not all(d["allowed"] for d in got)


def test_decide_many_rejects_non_sequences_and_non_json(engine, bob):
    with pytest.raises(ordinance.RequestError, match="must be a list"):
        engine.decide_many({"claims": bob})
    with pytest.raises(ordinance.RequestError, match=r"`requests\[1\]\.resource\.tags` is of type `set`"):
        engine.decide_many([
            {"claims": bob, "action": "view", "resource": ORG_TASK_BY_BOB},
            {"claims": bob, "action": "view", "resource": {"type": "task", "tags": {1}}},
        ])
    with pytest.raises(ordinance.RequestError, match=r"`requests\[0\]\.claims\.x` is of type `object`"):
        engine.decide_many([{"claims": {"x": object()}, "action": "view", "resource": {}}])


def nest(depth, leaf="x"):
    value = leaf
    for _ in range(depth):
        value = {"k": value}
    return value


def test_decide_many_matches_cli_requests(engine, bob, team, tmp_path):
    """`ordinance decide --requests` (Engine::decide_request_json per line) gives the same
    decisions as decide_many, including around the engine's nesting limit, where decide_many's
    fast path must agree with the engine's whole-request checks."""
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    requests = []
    for depth in range(28, 36):
        requests.append({"claims": dict(bob, deep=nest(depth)), "action": "edit",
                         "resource": ORG_TASK_BY_BOB, "now": NOW})
        requests.append({"claims": bob, "action": "edit",
                         "resource": dict(ORG_TASK_BY_BOB, deep=nest(depth)), "now": NOW})
        requests.append({"claims": bob, "action": "edit", "resource": ORG_TASK_BY_BOB,
                         "context": nest(depth), "now": NOW})
    for name, claims in team["sessions"].items():
        for resource in team["resources"].values():
            requests.append({"claims": claims, "action": "edit", "resource": resource, "now": NOW})
    lines = tmp_path / "requests.jsonl"
    lines.write_text("".join(json.dumps(r) + "\n" for r in requests))
    out = subprocess.run([cli, "decide", "--policy", str(TEAM_TASKS), "--requests", str(lines)],
                         capture_output=True, text=True, check=True)
    def same(d):  # the JSON text parser adds the position of a nesting error; values have none
        if "error" in d:
            d["error"] = re.sub(r" at line \d+ column \d+$", "", d["error"])
        return d

    want = [same(json.loads(line)) for line in out.stdout.splitlines()]
    got = [same(d.to_dict()) for d in engine.decide_many(requests)]
    assert len(got) == len(want) == len(requests)
    for r, g, w in zip(requests, got, want):
        assert g == w, (r, g, w)
