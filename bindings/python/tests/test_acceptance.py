"""Acceptance review of the Python binding, written as a new user tests it from issue 4,
the design brief and the seed guides (Clerk RBAC, per-user licensing, team task manager,
Liveblocks rooms, per-user OAuth scopes): public API only, one promise per test."""

import ast
import inspect
import json
import subprocess
import sys
import threading
import types
from collections import OrderedDict
from pathlib import Path

import pytest

import ordinance
from conftest import POLICIES, cli_binary

NOW = 1_721_770_150
ACTIONS = ["view", "create", "edit", "complete", "delete"]


@pytest.fixture(scope="module")
def tasks():
    return ordinance.Engine.from_file(POLICIES / "team_tasks.ord")


def member(sub, role, licensed=True, org="org_1", permissions=None):
    """Session claims shaped like the RBAC guide's sample (Clerk v1)."""
    claims = {
        "azp": "http://localhost:3005", "exp": NOW + 43, "iat": NOW - 17, "nbf": NOW - 27,
        "iss": "https://assuring-cod-50.clerk.accounts.dev", "jti": "daeb648e4c6dbfbdd2ce",
        "sid": "sess_2jfFHBJQpqzwZbnwHXti0yxCz1G", "sub": sub, "org_id": org,
        "org_slug": "d2-gamers", "org_role": role, "org_metadata": {"isLicensed": licensed},
    }
    if permissions is not None:
        claims["org_permissions"] = list(permissions)
    return claims


def task(owner, by, id_="42"):
    return {"type": "task", "id": id_, "owner_id": owner, "created_by_id": by}


ALICE = member("user_alice", "org:manager", permissions=["org:tasks:edit", "org:tasks:view", "org:tasks:manage"])
BOB = member("user_bob", "org:member", permissions=["org:tasks:view", "org:tasks:edit"])
CHARLIE = member("user_charlie", "org:viewer", permissions=["org:tasks:view"])
PERSONAL = {"sub": "user_me", "sid": "sess_9", "exp": NOW + 60, "nbf": NOW - 10, "iat": NOW - 10}


# ----------------------------------------------------------------------------- seed guides

def test_rbac_guide_three_users(tasks):
    """Charlie views; Bob adds and edits his own; Alice manages every task."""
    by_alice, by_bob = task("org_1", "user_alice"), task("org_1", "user_bob")
    assert tasks.permitted_actions(CHARLIE, by_bob, now=NOW) == ["view"]
    assert tasks.permitted_actions(BOB, by_bob, now=NOW) == ACTIONS
    assert tasks.permitted_actions(BOB, by_alice, now=NOW) == ["view", "create"]
    assert tasks.permitted_actions(ALICE, by_bob, now=NOW) == ACTIONS
    d = tasks.decide(BOB, "edit", by_alice, now=NOW)
    assert not d and d.reason == "no_matching_rule"
    assert d.missing == [{"kind": "permission", "name": "org:tasks:manage"}]
    d = tasks.decide(CHARLIE, "create", by_bob, now=NOW)
    assert d.missing == [{"kind": "permission", "name": "org:tasks:edit"}]


def test_role_alone_grants_its_permissions(tasks):
    """A token that carries only `org_role` still works (role table in the policy)."""
    bob = member("user_bob", "org:member")  # no org_permissions claim at all
    assert tasks.decide(bob, "edit", task("org_1", "user_bob"), now=NOW).rule == "org_edit_own"
    assert not tasks.decide(bob, "edit", task("org_1", "user_alice"), now=NOW)


def test_permissions_never_reach_another_org(tasks):
    for action in ACTIONS:
        assert not tasks.decide(ALICE, action, task("org_2", "user_alice"), now=NOW), action


def test_personal_account_owns_its_tasks_only(tasks):
    for action in ACTIONS:
        assert tasks.decide(PERSONAL, action, task("user_me", "user_me"), now=NOW).rule == "personal_task"
        assert not tasks.decide(PERSONAL, action, task("org_1", "user_me"), now=NOW)
        assert not tasks.decide(PERSONAL, action, task("user_other", "user_other"), now=NOW)


def test_licensing_guide_seats_gate_org_work_only(tasks):
    bob = member("user_bob", "org:member", licensed=False, permissions=["org:tasks:view", "org:tasks:edit"])
    assert tasks.decide(bob, "view", task("org_1", "user_alice"), now=NOW)  # viewing needs no seat
    d = tasks.decide(bob, "edit", task("org_1", "user_bob"), now=NOW)
    assert not d
    assert (d.reason, d.rule) == ("forbidden:license_required", "license_required")
    assert d.missing == [{"kind": "license", "name": "org.metadata.isLicensed"}]
    # an unlicensed member still works on personal tasks while the org is active
    assert tasks.permitted_actions(bob, task("user_bob", "user_bob"), now=NOW) == ACTIONS
    # `"true"` (a string) is not a seat; no flag at all is not a seat either
    for metadata in ({"isLicensed": "true"}, {}):
        d = tasks.decide(dict(bob, org_metadata=metadata), "create", task("org_1", "user_bob"), now=NOW)
        assert not d, metadata


def test_licensing_policy_seat_assignment():
    e = ordinance.Engine.from_file(POLICIES / "licensing.ord")
    admin = {"sub": "user_a", "org_id": "org_1", "org_role": "org:admin"}
    plain = {"sub": "user_c", "org_id": "org_1", "org_role": "org:member"}

    def seat(count, used, licensed, org="org_1"):
        return {"type": "seat", "org_id": org, "license_count": count, "licensed_count": used,
                "is_licensed": licensed}

    assert e.decide(admin, "assign", seat(5, 4, False), now=NOW)
    assert not e.decide(admin, "assign", seat(5, 5, False), now=NOW)  # no seat left
    assert not e.decide(admin, "assign", seat(5, 4, True), now=NOW)  # already licensed
    assert not e.decide(admin, "assign", seat(5, 4, False, "org_2"), now=NOW)
    assert e.decide(admin, "unassign", seat(5, 5, True), now=NOW)
    assert not e.decide(plain, "unassign", seat(5, 5, True), now=NOW)
    # Python ints/bools are the policy's int/bool; a str is not coerced
    assert not e.decide(admin, "assign", dict(seat(5, 4, False), license_count="5"), now=NOW)


def test_clerk_v2_token_decides_like_v1(tasks):
    v2 = {"v": 2, "sub": "user_alice", "sid": "sess_1", "exp": NOW + 60, "nbf": NOW - 10, "iat": NOW - 10,
          "o": {"id": "org_1", "slg": "d2-gamers", "rol": "manager"}}
    v1 = {"sub": "user_alice", "sid": "sess_1", "exp": NOW + 60, "nbf": NOW - 10, "iat": NOW - 10,
          "org_id": "org_1", "org_slug": "d2-gamers", "org_role": "org:manager"}
    s = tasks.session(v2)
    assert (s.user_id, s.org_id, s.org_role) == ("user_alice", "org_1", "org:manager")
    for action in ACTIONS:
        for t in (task("org_1", "user_bob"), task("user_alice", "user_alice"), task("org_2", "x")):
            assert tasks.decide(v2, action, t, now=NOW).to_dict() == tasks.decide(v1, action, t, now=NOW).to_dict()
            assert tasks.decide(json.dumps(v2).encode(), action, t, now=NOW).to_dict() == \
                tasks.decide(v1, action, t, now=NOW).to_dict()


def test_clerk_v2_malformed_shapes_deny_as_invalid_claims(tasks):
    base = {"v": 2, "sub": "user_a", "exp": NOW + 60, "fea": "o:repositories,uo:projects,u:goldprofileborder",
            "o": {"id": "org_1", "rol": "admin", "per": "read,create,update,delete,revoke", "fpm": "7,21"}}
    assert tasks.decide(base, "view", task("org_1", "x"), now=NOW)
    for bad in ({"o": "org_1"}, {"o": dict(base["o"], fpm="7,x")}, {"o": dict(base["o"], fpm="7")},
                {"fea": "z:repositories,uo:projects"}):
        d = tasks.decide(dict(base, **bad), "view", task("org_1", "x"), now=NOW)
        assert (d.allowed, d.reason) == (False, "invalid_claims"), bad
        assert d.error


def test_liveblocks_rooms():
    e = ordinance.Engine.from_file(POLICIES / "rooms.ord")
    me = {"sub": "user_me", "org_id": "org_1", "org_role": "org:member"}
    room = lambda owner: {"type": "room", "id": "r1", "owner_id": owner}  # noqa: E731
    assert e.decide(me, "enter", room("user_me"), now=NOW).rule == "own_room"
    assert e.decide(me, "enter", room("org_1"), now=NOW).rule == "org_room"
    assert not e.decide(me, "enter", room("org_2"), now=NOW)
    assert not e.decide({}, "enter", room("org_1"), now=NOW)  # signed out


def test_oauth_scopes_guide_missing_lists_scopes_to_request():
    e = ordinance.Engine.from_file(POLICIES / "calendar_scopes.ord")
    ro = "https://www.googleapis.com/auth/calendar.readonly"
    ev = "https://www.googleapis.com/auth/calendar.events"
    cal = {"type": "calendar", "owner_id": "user_me"}
    me = {"sub": "user_me", "exp": NOW + 60}
    d = e.decide(me, "book_direct", cal, context={"approved_scopes": f"openid email {ro}"}, now=NOW)
    assert not d and d.missing == [{"kind": "scope", "name": ev}]
    for context in ({"approved_scopes": [ro, ev]}, json.dumps({"approved_scopes": [ro, ev]}),
                    json.dumps({"approved_scopes": f"{ro} {ev}"}).encode()):
        assert e.decide(me, "book_direct", cal, context=context, now=NOW), context
    d = e.decide(me, "book_direct", cal, now=NOW)  # no context at all: ask for both
    assert sorted(m["name"] for m in d.missing) == sorted([ro, ev])


def test_expiry_leeway_and_clock(tasks):
    t = task("org_1", "x")
    assert tasks.decide(dict(BOB, exp=NOW - 4), "view", t, now=NOW)  # 5 s leeway
    assert tasks.decide(dict(BOB, exp=NOW - 5), "view", t, now=NOW).reason == "session_expired"
    assert tasks.decide(dict(BOB, nbf=NOW + 6), "view", t, now=NOW).reason == "session_not_yet_valid"
    assert tasks.decide(BOB, "view", t).reason == "session_expired"  # the clock: 2024 token


# ----------------------------------------------------------------------------- inputs

def test_claims_dict_str_bytes_and_session_agree(tasks):
    for claims in (BOB, CHARLIE, PERSONAL, {}):
        for action in ACTIONS:
            for t in (task("org_1", "user_bob"), task("user_me", "user_me")):
                want = tasks.decide(claims, action, t, now=NOW)
                for form in (json.dumps(claims), json.dumps(claims).encode(), tasks.session(claims)):
                    got = tasks.decide(form, action, t, now=NOW)
                    assert got.to_dict() == want.to_dict()
                    assert got == want
                for r in (json.dumps(t), json.dumps(t).encode()):
                    assert tasks.decide(claims, action, r, now=NOW) == want


def test_mapping_arguments_are_accepted_as_the_stubs_promise(tasks):
    """The stubs type claims, resource and context as Mapping: any Mapping works like a dict."""
    t = task("org_1", "user_bob")
    want = tasks.decide(BOB, "edit", t, now=NOW)
    assert want
    frozen = types.MappingProxyType
    assert tasks.decide(frozen(BOB), "edit", frozen(t), now=NOW) == want
    assert tasks.decide(OrderedDict(BOB), "edit", OrderedDict(t), now=NOW) == want
    assert tasks.session(frozen(BOB)).org_role == "org:member"
    assert tasks.permitted_actions(frozen(BOB), frozen(t), now=NOW) == ACTIONS
    nested = dict(BOB, org_metadata=frozen({"isLicensed": True}))
    assert tasks.decide(nested, "edit", t, now=NOW) == want
    assert tasks.decide_many([frozen({"claims": BOB, "action": "edit", "resource": t, "now": NOW})]) == [want]


def test_now_must_be_an_int_not_a_bool(tasks):
    """`now=True` is not the unix time 1 (decide_many already rejects it)."""
    expired = dict(PERSONAL, exp=100)
    del expired["nbf"], expired["iat"]
    for bad in (True, False, 1.5, "1721770150"):
        with pytest.raises(TypeError):
            tasks.decide(expired, "view", task("user_me", "user_me"), now=bad)
        with pytest.raises(TypeError):
            tasks.permitted_actions(expired, task("user_me", "user_me"), now=bad)
        with pytest.raises(TypeError):
            tasks.explain(expired, "view", task("user_me", "user_me"), now=bad)
    assert tasks.decide_many([{"claims": expired, "action": "view", "resource": task("user_me", "user_me"),
                               "now": True}])[0].reason == "invalid_request"


def test_options_are_keyword_only(tasks):
    with pytest.raises(TypeError):
        tasks.decide(BOB, "view", task("org_1", "x"), None, NOW)
    with pytest.raises(TypeError):
        tasks.permitted_actions(BOB, task("org_1", "x"), None, NOW)


def test_bad_claims_decide_denies_session_raises(tasks):
    """Documented choice: decide() turns unusable claims into an `invalid_claims` deny (the
    shipped policy test files expect that reason); Engine.session() raises ClaimsError.
    (Bytes that are not UTF-8 raise ClaimsError from decide too: see test_conversion.)"""
    for bad in ("not json", b"[", {"sub": 42}, [1], None, '{"sub": "a", "sub": "b"}'):
        d = tasks.decide(bad, "view", task("org_1", "x"), now=NOW)
        assert (d.allowed, d.reason) == (False, "invalid_claims"), bad
        assert d.error
        with pytest.raises(ordinance.ClaimsError):
            tasks.session(bad)
        with pytest.raises(ordinance.ClaimsError):
            tasks.permitted_actions(bad, task("org_1", "x"), now=NOW)
    with pytest.raises(ordinance.ClaimsError):  # no JSON form at all
        tasks.decide({"sub": {1, 2}}, "view", task("org_1", "x"), now=NOW)
    assert issubclass(ordinance.ClaimsError, ordinance.OrdinanceError)


# ----------------------------------------------------------------------------- Decision

def test_decision_is_read_only_and_truthy(tasks):
    d = tasks.decide(BOB, "view", task("org_1", "x"), now=NOW)
    assert bool(d) is True and d.allowed is True
    with pytest.raises(AttributeError):
        d.allowed = False
    deny = tasks.decide(CHARLIE, "edit", task("org_1", "x"), now=NOW)
    assert bool(deny) is False
    deny.missing.append({"kind": "x", "name": "y"})  # a copy: the decision does not change
    assert deny.missing == [{"kind": "permission", "name": "org:tasks:manage"}]
    assert "allowed=False" in repr(deny) and "no_matching_rule" in repr(deny) and "org:tasks:manage" in repr(deny)


def test_decision_equality_and_hash(tasks):
    a = tasks.decide(BOB, "view", task("org_1", "x"), now=NOW)
    b = tasks.decide(json.dumps(BOB), "view", task("org_1", "x"), now=NOW)
    c = tasks.decide(CHARLIE, "edit", task("org_1", "x"), now=NOW)
    assert a == b and hash(a) == hash(b) and a != c
    assert len({a, b, c}) == 2
    assert a != a.to_dict()  # compare dicts with to_dict()


def test_to_dict_matches_cli_for_the_seed_scenarios(tasks, tmp_path):
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    bob_unlicensed = dict(BOB, org_metadata={"isLicensed": False})
    for claims in (BOB, CHARLIE, PERSONAL, bob_unlicensed, {"sub": 42}):
        for t in (task("org_1", "user_alice"), task("user_me", "user_me")):
            (tmp_path / "c.json").write_text(json.dumps(claims))
            (tmp_path / "r.json").write_text(json.dumps(t))
            out = subprocess.run(
                [cli, "decide", "--policy", str(POLICIES / "team_tasks.ord"), "--claims", str(tmp_path / "c.json"),
                 "--action", "edit", "--resource", str(tmp_path / "r.json"), "--now", str(NOW)],
                capture_output=True, text=True)
            assert json.loads(out.stdout) == tasks.decide(claims, "edit", t, now=NOW).to_dict()


# ----------------------------------------------------------------------------- decide_many

def test_decide_many_equals_decide_and_accepts_any_iterable(tasks):
    claims = [BOB, CHARLIE, ALICE, PERSONAL, {"sub": 5}, tasks.session(BOB)]
    resources = [task("org_1", "user_bob"), task("org_1", "user_alice"), task("user_me", "user_me"),
                 {"type": "task"}, {"type": "nope"}]
    requests = [{"claims": c, "action": a, "resource": r, "now": NOW}
                for c in claims for a in ACTIONS + ["fly"] for r in resources]
    want = [tasks.decide(r["claims"], r["action"], r["resource"], now=NOW) for r in requests]
    assert tasks.decide_many(requests) == want
    assert tasks.decide_many(tuple(requests)) == want
    assert tasks.decide_many(r for r in requests) == want  # a generator
    assert tasks.decide_many(iter(requests)) == want
    for not_requests in ({"claims": BOB}, "requests", b"requests", 42):
        with pytest.raises(ordinance.RequestError):
            tasks.decide_many(not_requests)


def test_decide_many_reads_json_text_as_decide_does(tasks):
    """Claims, resource and context as JSON str/bytes in a request mean what they mean to
    decide(): same answers, one for one."""
    cal = ordinance.Engine.from_file(POLICIES / "calendar_scopes.ord")
    ro = "https://www.googleapis.com/auth/calendar.readonly"
    for engine, claims, action, resource, context in [
        (tasks, BOB, "edit", task("org_1", "user_bob"), None),
        (tasks, CHARLIE, "edit", task("org_1", "user_bob"), None),
        (tasks, {"sub": 42}, "view", task("org_1", "x"), None),
        (tasks, BOB, "view", {"type": "task"}, None),
        (cal, {"sub": "u"}, "read_availability", {"type": "calendar"}, {"approved_scopes": ro}),
        (cal, {"sub": "u"}, "book_direct", {"type": "calendar"}, {"approved_scopes": [ro]}),
    ]:
        claim_forms = [claims, json.dumps(claims), json.dumps(claims).encode()]
        if claims.get("sub") != 42:  # usable claims: a prepared Session too
            claim_forms.append(engine.session(claims))
        context_forms = [None] if context is None else [context, json.dumps(context), json.dumps(context).encode()]
        forms = [(c, r, x) for c in claim_forms
                 for r in (resource, json.dumps(resource), json.dumps(resource).encode())
                 for x in context_forms]
        want = [engine.decide(c, action, r, context=x, now=NOW) for c, r, x in forms]
        got = engine.decide_many([{"claims": c, "action": action, "resource": r, "context": x, "now": NOW}
                                  for c, r, x in forms])
        assert got == want
        assert len({d for d in want}) == 1, want
    # text that is not JSON is the same deny as from decide
    bad = {"claims": "{", "action": "view", "resource": "[", "now": NOW}
    assert tasks.decide_many([bad]) == [tasks.decide("{", "view", "[", now=NOW)]
    d = tasks.decide_many([{"claims": BOB, "action": "view", "resource": task("org_1", "x"), "context": "{"}])[0]
    assert d.reason == "invalid_context"
    # text that is not UTF-8 raises RequestError naming the request, as decide_many's other
    # unreadable values do
    with pytest.raises(ordinance.RequestError, match=r"`requests\[1\]\.claims` is JSON text that is not valid UTF-8"):
        tasks.decide_many([bad, {"claims": b"\xff", "action": "view", "resource": task("org_1", "x")}])
    # text whose request is malformed is still an invalid request
    d = tasks.decide_many([{"claims": json.dumps(BOB), "action": "view", "resource": "{}", "extra": 1}])[0]
    assert d.reason == "invalid_request"


def test_decide_many_bad_request_is_a_deny_not_an_exception(tasks):
    got = tasks.decide_many([
        {"claims": BOB, "action": "view", "resource": task("org_1", "x"), "now": NOW},
        {"claims": BOB, "resource": task("org_1", "x")},
        "not a request",
        {"claims": "{", "action": "view", "resource": task("org_1", "x"), "now": NOW},
    ])
    assert [d.reason for d in got] == ["permit", "invalid_request", "invalid_request", "invalid_claims"]


def test_one_engine_many_threads_with_sessions(tasks):
    session = tasks.session(BOB)
    want = tasks.decide(BOB, "edit", task("org_1", "user_bob"), now=NOW)
    errors = []

    def work():
        try:
            for _ in range(300):
                assert tasks.decide(session, "edit", task("org_1", "user_bob"), now=NOW) == want
                assert tasks.decide_many([{"claims": BOB, "action": "edit", "resource": task("org_1", "user_bob"),
                                           "now": NOW}]) == [want]
                # the JSON-text path, with a Session, in many threads too
                assert tasks.decide_many([{"claims": tasks.session(BOB), "action": "edit",
                                           "resource": json.dumps(task("org_1", "user_bob")), "now": NOW}] * 3) \
                    == [want] * 3
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


# ----------------------------------------------------------------------------- explain

def test_explain_names_every_rule_and_json_carries_the_decision(tasks):
    bob = dict(BOB, org_metadata={"isLicensed": False})
    text = tasks.explain(bob, "edit", task("org_1", "user_bob"), now=NOW)
    assert text.startswith("decision: DENY (forbidden:license_required)")
    for rule in ("license_required", "personal_task", "org_manage", "org_edit_own"):
        assert f"`{rule}`" in text
    as_json = tasks.explain_json(tasks.session(bob), "edit", json.dumps(task("org_1", "user_bob")), now=NOW)
    assert as_json["decision"] == tasks.decide(bob, "edit", task("org_1", "user_bob"), now=NOW).to_dict()
    assert [r["id"] for r in as_json["rules"]] == ["license_required", "personal_task", "org_manage", "org_edit_own"]


# ----------------------------------------------------------------------------- PolicyError

BROKEN = [
    "permit",
    "resource doc {}\naction read on doc\npermit read on doc when \"\n",
    "resource doc {}\naction read on doc\npermit red on doc\npermit read on dco\n",
    "permission org:tasks:view \"View\"\nrole org:viewer = [org:tasks:veiw]\n",
    "resource task { owner_id: string }\naction view on task\npermit view on task when resource.owner_id == 3\n",
    "resource task { owner_id: string }\naction view on task\npermit view on task when\n",
    "resource tâche { propriétaire: string }\naction voir on tâche\npermit voir on tâche when resource.x == user.id\n",
    "permission a:b \"x\"\npermission a:b \"y\"\n",
]


@pytest.mark.parametrize("source", BROKEN)
def test_policy_error_is_what_ordinance_check_prints(source, tmp_path):
    path = tmp_path / "broken.ord"
    path.write_text(source)
    with pytest.raises(ordinance.PolicyError) as from_file:
        ordinance.Engine.from_file(path)
    with pytest.raises(ordinance.PolicyError) as from_text:
        ordinance.Engine(source)
    for err in (from_file.value, from_text.value):
        assert isinstance(err, ordinance.OrdinanceError)
        assert err.line >= 1 and err.column >= 1
        assert err.help and "\n" not in err.help
        assert (err.line, err.column) == (err.diagnostics[0]["line"], err.diagnostics[0]["column"])
    message = str(from_file.value)
    assert message.startswith(f"broken.ord:{from_file.value.line}:{from_file.value.column}: error: ")
    assert str(from_text.value) == message.replace("broken.ord:", "policy:")
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    out = subprocess.run([cli, "check", str(path)], capture_output=True, text=True)
    assert out.returncode == 1
    assert out.stderr.rstrip("\n") == message


def test_policy_error_columns_count_characters():
    source = ("resource task { owner_id: string }\naction view on task\n"
              "permit view on task when resource.owner_id == \"é😀\" and resource.nope == \"x\"\n")
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine(source)
    line = source.splitlines()[info.value.line - 1]
    assert line[info.value.column - 1:].startswith("nope")


def test_missing_policy_file_is_a_policy_error_like_the_cli(tmp_path):
    path = tmp_path / "nope.ord"
    with pytest.raises(ordinance.PolicyError) as info:
        ordinance.Engine.from_file(path)
    assert (info.value.code, info.value.line, info.value.column) == ("io", 0, 0)
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    out = subprocess.run([cli, "check", str(path)], capture_output=True, text=True)
    assert out.returncode != 0
    assert out.stderr.rstrip("\n") == str(info.value)


def test_version_is_the_package_version():
    from importlib.metadata import version

    assert ordinance.__version__ == version("ordinance")


def test_user_raised_policy_error_has_the_attributes():
    err = ordinance.PolicyError("made by hand")
    assert (err.line, err.column, err.code, err.help) == (None, None, None, None)
    assert err.diagnostics == []


# ----------------------------------------------------------------------------- stubs and docs

STUB = Path(ordinance.__file__).with_name("__init__.pyi")


def stub_classes():
    tree = ast.parse(STUB.read_text())
    classes = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members = {}
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    members[item.name] = item
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members[item.target.id] = item
            classes[node.name] = members
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    return tree, classes, functions


def stub_params(fn, drop_first):
    a = fn.args
    positional = [p.arg for p in a.posonlyargs + a.args]
    if drop_first:
        positional = positional[1:]
    defaults = {p.arg for p in (a.posonlyargs + a.args)[len(a.posonlyargs + a.args) - len(a.defaults):]}
    kwonly = [(p.arg, d is not None) for p, d in zip(a.kwonlyargs, a.kw_defaults)]
    return [(p, p in defaults) for p in positional], kwonly


def runtime_params(obj):
    sig = inspect.signature(obj)
    positional, kwonly = [], []
    for p in sig.parameters.values():
        if p.name in ("self", "cls"):
            continue
        has_default = p.default is not inspect.Parameter.empty
        if p.kind is inspect.Parameter.KEYWORD_ONLY:
            kwonly.append((p.name, has_default))
        else:
            positional.append((p.name, has_default))
    return positional, kwonly


def test_stub_names_match_the_runtime():
    tree, classes, functions = stub_classes()
    stub_all = next(n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "__all__")
    assert sorted(ast.literal_eval(stub_all.value)) == sorted(ordinance.__all__)
    for name in ordinance.__all__:
        assert name in classes, f"{name} has no stub"
    for name in classes:
        assert hasattr(ordinance, name), f"stub class {name} missing at runtime"
    for name in functions:
        assert callable(getattr(ordinance, name)), name
    for name, members in classes.items():
        cls = getattr(ordinance, name)
        runtime = {m for m in vars(cls) if not m.startswith("_")}
        if issubclass(cls, BaseException):
            instance_attrs = set(members)
            assert instance_attrs <= {"line", "column", "code", "help", "message", "diagnostics", "rule"}, name
            continue
        stubbed = {m for m in members if not m.startswith("_")}
        assert runtime == stubbed, (name, runtime ^ stubbed)


def test_stub_signatures_match_the_runtime():
    _, classes, functions = stub_classes()
    for cls_name, members in classes.items():
        cls = getattr(ordinance, cls_name)
        for name, node in members.items():
            if not isinstance(node, ast.FunctionDef) or (name.startswith("__") and name != "__new__"):
                # slot wrappers (__eq__, __bool__, ...) have fixed positional-only signatures
                continue
            decorators = {d.id for d in node.decorator_list if isinstance(d, ast.Name)}
            if "property" in decorators:
                assert isinstance(inspect.getattr_static(cls, name), types.GetSetDescriptorType) or \
                    isinstance(inspect.getattr_static(cls, name), property), (cls_name, name)
                continue
            runtime = cls if name == "__new__" else getattr(cls, name)
            want = stub_params(node, drop_first="staticmethod" not in decorators)
            assert runtime_params(runtime) == want, (cls_name, name)
    for name, node in functions.items():
        assert runtime_params(getattr(ordinance, name)) == stub_params(node, drop_first=False), name


def test_every_public_name_has_a_docstring():
    assert ordinance.__doc__ and "ordinance" in ordinance.__doc__
    for name in ordinance.__all__:
        obj = getattr(ordinance, name)
        assert (obj.__doc__ or "").strip(), name
        if isinstance(obj, type) and not issubclass(obj, BaseException):
            for member, value in vars(obj).items():
                if member.startswith("_"):
                    continue
                assert (getattr(value, "__doc__", None) or "").strip(), f"{name}.{member}"


USER_CODE = """
import json
import types
from pathlib import Path
from typing import Any, Dict, List, Optional

import ordinance

engine = ordinance.Engine.from_file(Path("policies/team_tasks.ord"))
engine2 = ordinance.Engine(Path("policies/team_tasks.ord").read_text())
claims: Dict[str, Any] = {"sub": "u"}
task = {"type": "task", "owner_id": "u", "created_by_id": "u"}
d: ordinance.Decision = engine.decide(claims, "view", task, now=1)
d2 = engine.decide(json.dumps(claims), "view", json.dumps(task).encode(), context={"a": 1})
d3 = engine.decide(types.MappingProxyType(claims), "view", task)
ok: bool = d.allowed and bool(d2) and d == d3
reason: str = d.reason
rule: Optional[str] = d.rule
missing: List[Dict[str, str]] = d.missing
as_dict: Dict[str, Any] = d.to_dict()
s: ordinance.Session = engine.session(claims)
actions: List[str] = engine.permitted_actions(s, task)
text: str = engine.explain(s, "view", task)
trace: Dict[str, Any] = engine.explain_json(s, "view", task)
many: List[ordinance.Decision] = engine.decide_many(
    {"claims": claims, "action": "view", "resource": task} for _ in range(3)
)
try:
    ordinance.Engine("bad")
except ordinance.PolicyError as e:
    line: int = e.line
    col: int = e.column
    print(line, col, e.help, e.diagnostics)
except ordinance.ClaimsError:
    pass
version: str = ordinance.__version__
"""


def test_stubs_type_check_user_code_and_the_example_strictly(tmp_path):
    """mypy --strict accepts typical user code and the FastAPI example against the stubs."""
    pytest.importorskip("mypy")
    user = tmp_path / "user_code.py"
    user.write_text(USER_CODE)
    example = Path(__file__).resolve().parents[3] / "examples" / "python" / "tasks_app.py"
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(user), str(example)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    # and the stubs reject what the runtime rejects
    bad = tmp_path / "bad_code.py"
    bad.write_text("import ordinance\ne = ordinance.Engine('')\ne.decide({}, 'view', {}, None, 5)\n")
    out = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(bad)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 1 and "Too many positional arguments" in out.stdout, out.stdout


def test_py_typed_and_stub_ship_with_the_package():
    package = Path(ordinance.__file__).parent
    assert (package / "py.typed").is_file()
    assert (package / "__init__.pyi").is_file()
    ast.parse((package / "__init__.pyi").read_text())


def test_no_panic_reaches_python(tasks):
    with pytest.raises(ordinance.OrdinanceInternalError):
        ordinance._panic_for_tests()
    assert tasks.decide(BOB, "view", task("org_1", "x"), now=NOW)  # still usable
    weird = [
        {"sub": "\x00" * 10}, {"sub": "u" * 100_000}, {"org_id": "o", "org_role": "org:member"},
        {"exp": 2**63}, {"exp": -(2**63)}, {"exp": 2**200}, {"sub": "😀", "org_id": "", "org_role": ""},
    ]
    for claims in weird:
        d = tasks.decide(claims, "view", task("org_1", "x"), now=NOW)
        assert not d
        tasks.decide_many([{"claims": claims, "action": "view", "resource": task("org_1", "x")}])
    for now in (2**63 - 1, -(2**63)):
        tasks.decide(BOB, "view", task("org_1", "x"), now=now)
