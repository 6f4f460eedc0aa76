"""The binding's fast paths give exactly the decisions and errors of the plain paths.

- Python values are converted with exact-type checks first and objects built sorted in one
  go, and `decide` reads a plain resource dict straight into a resource; the references are
  the same input as JSON text (the engine's strict parser) and as dict subclasses (the
  general path).
- Plain claims dicts (`decide` and `decide_many`) go to the engine as JSON text written by
  the binding (the text route); the references are the same claims as a dict subclass (the
  converted-value route) and as JSON text from `json.dumps`. `ordinance._claims_text_for_tests`
  shows which route claims take and the text itself.
- `decide_many` shares claims, resources and action names held as the same object by
  several requests, and reads a plainly valid resource dict straight into a resource; the
  reference is one `decide` per request, and `decide_many` on deep copies (nothing shared).
- `decide_many` pauses the cyclic garbage collector while it creates its results and
  leaves it as it found it.
"""

import copy
import gc
import json
import re

import pytest

import ordinance
from conftest import NOW, ROOT

POLICY = """
resource doc { owner: string, size?: int, tags?: [string], public?: bool }
action read, write on doc
@id("owner") permit read, write on doc when resource.owner == user.id
@id("public") permit read on doc when resource.public == true
@id("big") permit read on doc when resource.size == 9007199254740993
@id("member") permit read on doc when claims.team == "blue"
"""


@pytest.fixture(scope="module")
def e():
    return ordinance.Engine(POLICY)


class Str(str):
    pass


class Int(int):
    pass


class Dict(dict):
    pass


class Key(str):
    """A str whose instances are all different dict keys, whatever their text."""

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other


def nest(levels, leaf="x"):
    value = leaf
    for _ in range(levels):
        value = [value]
    return value


# Claims and resources the JSON text of which is the same input (str keys only).
CLAIMS = [
    {"sub": "u"},
    {"sub": "u", "team": "blue"},
    {"sub": "u", "exp": NOW + 60, "nbf": NOW - 60, "iat": NOW - 60},
    {"sub": "u", "exp": NOW - 60},
    {"sub": "u", "exp": True},
    {"sub": "u", "exp": 1.0},
    {"sub": "u", "exp": 2**64 - 1},
    {"sub": "u", "exp": 2**70},
    {"sub": 1},
    {"sub": None},
    {"sub": ""},
    {"sub": "u", "v": True},
    {"sub": "u", "v": 1},
    {"sub": "u", "v": 1.0},
    {"sub": "u", "org_id": "o", "org_role": "org:member", "org_permissions": ["a", "b"],
     "org_metadata": {"isLicensed": True, "deep": {"a": [1, 2.5, None, False]}}},
    {"sub": "u", "org_permissions": ["a"]},
    {"sub": "u", "org_id": "o", "org_permissions": "a"},
    {"sub": "u", "org_id": "o", "org_permissions": [1]},
    {"sub": "u", "extra": nest(30)},
    {"sub": "u", "extra": nest(31)},
    {"sub": "u", "extra": nest(32)},
    {"sub": "u", "extra": nest(40)},
    {"sub": "u", "team": "blue", "sts": "pending"},
    {"sub": "u", "z": 1, "a": 2, "m": [3, {"y": 1, "b": 2}], "é": "ü", "": "empty key"},
    {},
]

RESOURCES = [
    {"type": "doc", "owner": "u"},
    {"type": "doc", "id": "d1", "owner": "u"},
    {"type": "doc", "id": None, "owner": "u"},
    {"type": "doc", "id": 7, "owner": "u"},
    {"type": "doc", "id": True, "owner": "u"},
    {"type": "doc", "owner": "someone", "public": True},
    {"type": "doc", "owner": "someone", "public": 1},
    {"type": "doc", "owner": "someone", "size": 9007199254740993},
    {"type": "doc", "owner": "someone", "size": True},
    {"type": "doc", "owner": "someone", "size": 2.0},
    {"type": "doc", "owner": "someone", "size": 2**64 - 1},
    {"type": "doc", "owner": "u", "tags": ["a", 1]},
    {"type": "doc", "owner": "u", "meta": nest(29)},
    {"type": "doc", "owner": "u", "meta": nest(30)},
    {"type": "doc", "owner": "u", "meta": nest(31)},
    {"type": "doc", "owner": "u", "meta": nest(40)},
    {"type": "doc", "owner": "u", "meta": {"a": {"b": {"c": [1, {"d": None}]}}}},
    {"type": "doc", "owner": 5},
    {"type": "doc"},
    {"type": "", "owner": "u"},
    {"type": 3, "owner": "u"},
    {"type": None, "owner": "u"},
    {"owner": "u"},
    {"type": "room", "owner": "u"},
    {},
]


def without_position(decision):
    """A decision as a dict; the JSON parser's errors say where in the text they are."""
    d = decision.to_dict()
    if "error" in d:
        d["error"] = re.sub(r" at line \d+ column \d+$", "", d["error"])
    return d


def text_decision(e, claims, action, resource):
    return without_position(e.decide(json.dumps(claims), action, json.dumps(resource), now=NOW))


@pytest.mark.parametrize("claims", CLAIMS, ids=range(len(CLAIMS)))
def test_decide_from_dicts_is_decide_from_text(e, claims):
    for resource in RESOURCES:
        for action in ("read", "write", "delete"):
            got = without_position(e.decide(claims, action, resource, now=NOW))
            assert got == text_decision(e, claims, action, resource), (claims, action, resource)


def depth(value):
    """Nested containers, counted as the engine counts them."""
    if isinstance(value, dict):
        return 1 + max(map(depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(depth, value), default=0)
    return 0


def requests_for(claims_list, resources, actions=("read", "write", "delete")):
    return [
        {"claims": c, "action": a, "resource": r, "now": NOW}
        for c in claims_list
        for r in resources
        for a in actions
    ]


def test_decide_many_with_shared_objects_is_one_decide_each(e):
    # Every claims dict, resource dict and action str appears in many requests.
    requests = requests_for(CLAIMS, RESOURCES)
    assert len(requests) > 1000  # several chunks
    got = [without_position(d) for d in e.decide_many(requests)]
    want = [text_decision(e, r["claims"], r["action"], r["resource"]) for r in requests]
    for i, (g, w) in enumerate(zip(got, want)):
        if depth(requests[i]) > 33:
            # as `ordinance decide --requests`: the request as a whole is too deep
            assert g["reason"] == "invalid_request" and "nests deeper" in g["error"], (i, g)
        else:
            assert g == w, (i, requests[i])
    want = got
    # and nothing shared: deep copies, fresh action strs
    fresh = [dict(copy.deepcopy(r), action="".join(r["action"])) for r in requests]
    assert [without_position(d) for d in e.decide_many(fresh)] == want


def test_decide_many_mixes_sessions_and_fast_path_misses(e):
    session = e.session({"sub": "u", "team": "blue"})
    requests = []
    for i, r in enumerate(RESOURCES):
        requests.append({"claims": session, "action": "read", "resource": r, "now": NOW})
        requests.append({"claims": session, "action": "read", "resource": r})  # the clock
        requests.append({"claims": {"sub": "u"}, "action": "read", "resource": r, "now": NOW,
                         "context": {"k": i}})
        requests.append({"claims": {"sub": "u"}, "action": Str("read"), "resource": Dict(r), "now": Int(NOW)})
        requests.append({"claims": {"sub": "u"}, "action": "read", "resource": json.dumps(r), "now": NOW})
        requests.append({"claims": {"sub": "u"}, "action": "read", "resource": r, "now": "soon"})
        requests.append({"claims": {"sub": "u"}, "action": "read", "resource": r, "now": NOW, "x": 1})
    got = e.decide_many(requests)
    assert len(got) == len(requests)
    for r, d in zip(requests, got):
        if isinstance(r.get("now"), str) or "x" in r or depth(r["resource"]) > 32:
            assert d.reason == "invalid_request", r
        else:  # a resource as JSON text reads as decide() reads it
            claims = {"sub": "u", "team": "blue"} if r["claims"] is session else r["claims"]
            want = e.decide(claims, r["action"], r["resource"], context=r.get("context"), now=r.get("now"))
            assert d.to_dict() == want.to_dict(), r


def test_subclass_keys_with_equal_text_keep_the_later_value(e):
    # Two keys with the text "owner": the later one wins, as inserting them in order would.
    resource = {"type": "doc", "owner": "u", Key("owner"): "someone"}
    assert e.decide({"sub": "u"}, "write", resource, now=NOW).reason == "no_matching_rule"
    resource = {"type": "doc", "owner": "someone", Key("owner"): "u"}
    assert e.decide({"sub": "u"}, "write", resource, now=NOW).allowed
    resource = {"type": "doc", "owner": "u", Key("type"): "room"}
    assert e.decide({"sub": "u"}, "write", resource, now=NOW).reason == "unknown_resource_type"
    claims = {"sub": "someone", Key("sub"): "u"}
    assert e.decide(claims, "write", {"type": "doc", "owner": "u"}, now=NOW).allowed
    requests = [
        {"claims": {"sub": "u"}, "action": "write", "resource": {"type": "doc", "owner": "u", Key("owner"): "x"},
         "now": NOW},
        {"claims": {"sub": "u"}, "action": "write", "resource": {"type": "doc", "owner": "x", Key("owner"): "u"},
         "now": NOW},
        {"claims": {"sub": "u"}, "action": "write", "resource": {"type": "doc", "owner": "u", Key("type"): "room"},
         "now": NOW},
        {"claims": claims, "action": "write", "resource": {"type": "doc", "owner": "u"}, "now": NOW},
    ]
    assert [d.reason for d in e.decide_many(requests)] == [
        "no_matching_rule", "permit", "unknown_resource_type", "permit"]


def test_subclasses_convert_as_their_values(e):
    claims = Dict(sub=Str("u"), exp=Int(NOW + 60))
    resource = Dict(type=Str("doc"), owner=Str("u"), size=Int(3), tags=[Str("a")])
    want = text_decision(e, {"sub": "u", "exp": NOW + 60}, "write",
                         {"type": "doc", "owner": "u", "size": 3, "tags": ["a"]})
    assert e.decide(claims, "write", resource, now=NOW).to_dict() == want
    requests = [{"claims": claims, "action": "write", "resource": resource, "now": NOW}] * 3
    assert [d.to_dict() for d in e.decide_many(requests)] == [want] * 3
    # bool is not an int, and an int subclass is not a bool
    assert e.decide({"sub": "u", "exp": Int(1)}, "read", {"type": "doc", "owner": "u"}, now=NOW).reason \
        == "session_expired"
    assert e.decide({"sub": "u", "exp": True}, "read", {"type": "doc", "owner": "u"}, now=NOW).reason \
        == "invalid_claims"


@pytest.mark.parametrize("bad, path", [
    ({"type": "doc", "owner": {1}}, "resource.owner"),
    ({"type": "doc", 1: "x"}, "resource"),
    ({"type": "doc", "owner": "u", "meta": [float("nan")]}, "resource.meta[0]"),
    ({"type": "doc", "owner": "\ud800"}, "resource.owner"),
    ({"type": "doc", "owner": "u", "size": 10**400}, "resource.size"),
    ({Key("type"): "doc", "owner": {1}}, "resource.owner"),
])
def test_values_with_no_json_form_raise_the_same_way(e, bad, path):
    with pytest.raises(ordinance.RequestError) as plain:
        e.decide({"sub": "u"}, "read", bad, now=NOW)
    assert f"`{path}" in str(plain.value)
    with pytest.raises(ordinance.RequestError) as many:
        e.decide_many([{"claims": {"sub": "u"}, "action": "read", "resource": {"type": "doc"}, "now": NOW},
                       {"claims": {"sub": "u"}, "action": "read", "resource": bad, "now": NOW}])
    assert f"`requests[1].{path}" in str(many.value)
    assert str(many.value).split("` ", 1)[1] == str(plain.value).split("` ", 1)[1]


def test_decide_many_leaves_the_garbage_collector_as_it_was(e):
    requests = requests_for([{"sub": "u"}], [{"type": "doc", "owner": "u"}]) * 500
    assert len(requests) >= 1000
    assert gc.isenabled()
    assert len(e.decide_many(requests)) == len(requests)
    assert gc.isenabled()
    gc.disable()
    try:
        e.decide_many(requests)
        assert not gc.isenabled()
    finally:
        gc.enable()
    # and on an error after the results were made, too
    with pytest.raises(ordinance.RequestError):
        e.decide_many(requests + [{"claims": {"sub": "u"}, "action": "read", "resource": {"type": "doc", "x": {1}}}])
    assert gc.isenabled()


# Plain claims (built-in dict, list, str, int, float, bool, None) go to the engine as JSON
# text written by the binding (the text route; the resource read straight into a Resource);
# a dict subclass takes the general path (a converted value). Both must read the same
# claims, down to every character and number.
TEXT_POLICY = """
resource doc { owner: string, note?: string, n?: int }
action read on doc
@id("note") permit read on doc when claims.note == resource.note
@id("n") permit read on doc when claims.n == resource.n
@id("deep") permit read on doc when claims.a.b.c == resource.note
"""

TRICKY_STRINGS = [
    "", "plain", 'a"b', "back\\slash", "\\u0041", "ctl\x00\x01\x1f\x7f", "tab\t nl\n cr\r",
    "é ü 中文 🎉", "</script>", "\u2028\u2029", "\ufeffbom", '"', "\\", "\\\\\"",
]


@pytest.fixture(scope="module")
def t():
    return ordinance.Engine(TEXT_POLICY)


def text_route(claims):
    """The JSON text the binding hands to the engine for `claims`, checked to hold exactly
    the claims, or None when they take the converted-value route."""
    text = ordinance._claims_text_for_tests(claims)
    if text is not None:
        assert json.loads(text) == claims
        assert len(text.encode()) <= 65_536
    return text


def both_paths(engine, claims, resource, action="read"):
    """The decision from plain claims (text route), a dict subclass (value route), both
    through `decide` and `decide_many`."""
    text = engine.decide(claims, action, resource, now=NOW).to_dict()
    value = engine.decide(Dict(claims), action, resource, now=NOW).to_dict()
    many = engine.decide_many([{"claims": c, "action": action, "resource": resource, "now": NOW}
                               for c in (claims, Dict(claims))])
    if max(depth(claims), depth(resource)) > 32:
        # the request as a whole is too deep
        assert [d.reason for d in many] == ["invalid_request"] * 2
    else:
        assert [d.to_dict() for d in many] == [text, text]
    assert text == value, (claims, resource)
    text_route(claims)
    return text


@pytest.mark.parametrize("s", TRICKY_STRINGS, ids=range(len(TRICKY_STRINGS)))
def test_plain_claims_strings_are_read_exactly(t, s):
    assert text_route({"sub": "u", s: s, "a": {"b": {"c": [s]}}}) is not None
    assert both_paths(t, {"sub": "u", "note": s}, {"type": "doc", "owner": "x", "note": s})["rule"] == "note"
    assert both_paths(t, {"sub": "u", "a": {"b": {"c": s}}}, {"type": "doc", "owner": "x", "note": s})["allowed"]
    assert not both_paths(t, {"sub": "u", "note": s + "!"}, {"type": "doc", "owner": "x", "note": s})["allowed"]
    # as a key, too
    assert both_paths(t, {"sub": "u", s: s, "note": s}, {"type": "doc", "owner": "x", "note": s})["allowed"]


@pytest.mark.parametrize("special", ['"', "\\", "\x00", "\x01", "\n", "\x1f", "\x7f", " ", "é", "\u2028", "🎉"])
def test_plain_claims_escapes_at_every_offset(t, special):
    # The binding scans a str for bytes to escape eight bytes at a time: put the byte at
    # every offset of a chunk and in the remainder, beside ASCII and non-ASCII neighbours.
    for filler in ("a", "é", "\x7f"):
        for n in range(0, 20):
            for m in (0, 1, 7, 8, 9):
                s = filler * n + special + "b" * m
                text = text_route({"sub": "u", "note": s, s: 1})
                assert text is not None and json.loads(text) == {"sub": "u", "note": s, s: 1}
    both_paths(t, {"sub": "u", "note": "x" * 13 + special}, {"type": "doc", "owner": "x", "note": "x" * 13 + special})


@pytest.mark.parametrize("n", [0, 1, -1, 2**53 + 1, 2**63 - 1, -(2**63), 2**63, 2**64 - 1, 2**64, -(2**63) - 1,
                               2**70, True, False, 1.0, None, "1"])
def test_plain_claims_numbers_are_read_exactly(t, n):
    beyond_i64 = isinstance(n, int) and not -(2**63) <= n < 2**63
    assert (text_route({"sub": "u", "n": n}) is None) == beyond_i64  # u64 and beyond: value route
    both_paths(t, {"sub": "u", "n": n}, {"type": "doc", "owner": "x", "n": 1})
    both_paths(t, {"sub": "u", "exp": n}, {"type": "doc", "owner": "x"})
    both_paths(t, {"sub": "u", "n": n}, {"type": "doc", "owner": "x", "n": n})


@pytest.mark.parametrize("x", [0.0, -0.0, 1.0, 0.1, 1.5, 1e300, -1e-300, 5e-324, 1.7976931348623157e308,
                               2.0**63, 1e16, 123456789.123456789])
def test_plain_claims_floats_are_read_exactly(t, x):
    text = text_route({"sub": "u", "n": x})
    assert text is not None and repr(json.loads(text)["n"]) == repr(x)  # the same f64, sign of 0 too
    both_paths(t, {"sub": "u", "n": x}, {"type": "doc", "owner": "x", "n": 1})
    both_paths(t, {"sub": "u", "a": {"b": {"c": [x]}}}, {"type": "doc", "owner": "x"})
    assert both_paths(t, {"sub": "u", "exp": x}, {"type": "doc", "owner": "x"})["reason"] == "invalid_claims"


def test_plain_claims_non_json_values_raise_as_before(t):
    for bad, path in [({"sub": "u", "x": float("nan")}, "claims.x"), ({"sub": "u", "x": {1}}, "claims.x"),
                      ({"sub": "u", 1: "x"}, "claims"), ({"sub": "\ud800"}, "claims.sub"),
                      ({"sub": "u", "x": [(1, float("inf"))]}, "claims.x[0][1]")]:
        with pytest.raises(ordinance.ClaimsError, match=f"`{re.escape(path)}"):
            t.decide(bad, "read", {"type": "doc", "owner": "x"}, now=NOW)
        # tuples convert (to lists): the general path
    assert both_paths(t, {"sub": "u", "note": ("a",)[0], "l": (1, 2)}, {"type": "doc", "owner": "x", "note": "a"})[
        "allowed"]


@pytest.mark.parametrize("levels", [29, 30, 31, 32, 33, 40])
def test_plain_claims_depth_as_the_value_path(t, levels):
    # The engine's limit: 32 nested containers, the claims object included.
    assert (text_route({"sub": "u", "deep": nest(levels)}) is None) == (levels > 31)
    both_paths(t, {"sub": "u", "deep": nest(levels)}, {"type": "doc", "owner": "x"})
    both_paths(t, {"sub": "u", "deep": {"k": nest(levels - 1)}}, {"type": "doc", "owner": "x"})


def test_plain_claims_size_as_the_value_path(t):
    # The engine limits claims to 64 KiB: text as it comes, dicts as their compact JSON
    # text (tests/test_hostile_limits.py); both routes give the same answer.
    for size in (60_000, 65_536 - 40, 65_536 - 20, 65_536, 70_000):
        claims = {"sub": "u", "note": "n", "pad": "x" * size}
        both_paths(t, claims, {"type": "doc", "owner": "x", "note": "n"})
        text_size = len(json.dumps(claims, separators=(",", ":")))
        assert (text_route(claims) is None) == (text_size > 65_536)
    claims = {"sub": "u", "note": "n", "pad": "\n" * 20_000}  # 6 bytes each as text
    assert both_paths(t, claims, {"type": "doc", "owner": "x", "note": "n"})["allowed"]


def test_claims_that_are_not_plain_take_the_value_route():
    plain = {"sub": "u", "l": [1, "a", None, True, 1.5, {"k": []}]}
    assert text_route(plain) is not None
    for claims in [Dict(plain), {"sub": Str("u")}, {Str("sub"): "u"}, {"sub": "u", "n": Int(1)},
                   {"sub": "u", "t": (1, 2)}, {"sub": "u", "d": Dict()}, {"sub": "u", "n": 2**64},
                   {"sub": "u", "x": float("nan")}, {"sub": "u", "x": float("inf")}, {"sub": "\ud800"},
                   {"sub": "u", 1: "x"}, {"sub": "u", "x": {1}}, "{}", b"{}", ["sub"]]:
        assert ordinance._claims_text_for_tests(claims) is None, claims


CONFORMANCE = sorted((ROOT / "tests" / "conformance").glob("*.json"))


def has_wide_int(value):
    """Whether an int beyond 64 bits is in `value` (such claims take the value route)."""
    if isinstance(value, dict):
        return any(map(has_wide_int, value.values()))
    if isinstance(value, list):
        return any(map(has_wide_int, value))
    return isinstance(value, int) and not -(2**63) <= value < 2**63


@pytest.mark.parametrize("path", CONFORMANCE, ids=lambda p: p.name)
def test_conformance_claims_read_the_same_by_text_and_value_route(path):
    """Every conformance vector's claims (valid Clerk v1/v2 sessions and their invalid
    variants) decide the same through the text route (`decide` without a context,
    `decide_many`), the value route (a dict subclass) and JSON text."""
    doc = json.loads(path.read_text())
    if doc.get("directory") is not None:
        pytest.skip("AuthZEN vectors: decided through evaluate")
    engine = ordinance.Engine.from_file(path.parent / doc["policy"])
    requests, expected, text_routed = [], [], 0
    for v in doc["vectors"]:
        claims, context, now = v["claims"], v.get("context"), v.get("now")
        if not isinstance(claims, dict):
            continue  # `decide` reads a str as JSON text; no claims dict, no route to compare
        if text_route(claims) is not None:
            text_routed += 1
        else:
            assert has_wide_int(claims), v["name"]
        args = (v["action"], v["resource"])
        value = engine.decide(Dict(claims), *args, context=context, now=now).to_dict()
        assert engine.decide(claims, *args, context=context, now=now).to_dict() == value, v["name"]
        assert engine.decide(json.dumps(claims), *args, context=context, now=now).to_dict() == value, v["name"]
        if context is not None and not isinstance(context, dict):
            continue  # `decide` reads a str context as JSON text, `decide_many` as a JSON value
        request = {"claims": claims, "action": v["action"], "resource": v["resource"], "now": now}
        if context is not None:
            request["context"] = context
        requests.append(request)
        expected.append(value)
    assert text_routed >= len(doc["vectors"]) // 2
    assert [d.to_dict() for d in engine.decide_many(requests)] == expected
