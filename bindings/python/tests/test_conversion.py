"""Python values to JSON: what converts, what raises, and the depth bound."""

import collections
import datetime
import decimal
import enum
import json

import pytest

import ordinance
from conftest import NOW

POLICY = """
resource doc { owner: string, size?: int, tags?: [string], public?: bool }
action read on doc
@id("owner") permit read on doc when resource.owner == user.id
@id("big") permit read on doc when resource.size == 9007199254740993
"""


@pytest.fixture(scope="module")
def e():
    return ordinance.Engine(POLICY)


def decide(e, claims, resource, **kw):
    return e.decide(claims, "read", resource, now=NOW, **kw)


def test_json_types_convert(e):
    resource = {"type": "doc", "owner": "u", "size": 3, "tags": ["a", "b"], "public": True,
                "extra": {"nested": [None, 1.5, -2, "x", (1, 2)]}}
    assert decide(e, {"sub": "u"}, resource).allowed
    as_text = decide(e, json.dumps({"sub": "u"}), json.dumps(resource))
    assert decide(e, {"sub": "u"}, resource).to_dict() == as_text.to_dict()


def test_large_ints_keep_their_precision(e):
    assert decide(e, {"sub": "x"}, {"type": "doc", "owner": "u", "size": 9007199254740993}).rule == "big"
    assert decide(e, {"sub": "x"}, {"type": "doc", "owner": "u", "size": 2**63 - 1}).reason == "no_matching_rule"
    # u64 converts; the engine then says it is not an int it accepts
    for big in (2**64 - 1, 2**70, -(2**70)):
        resource = {"type": "doc", "owner": "u", "size": big}
        d = decide(e, {"sub": "x"}, resource)
        assert d.reason == "invalid_resource"
        assert d.to_dict() == decide(e, {"sub": "x"}, json.dumps(resource)).to_dict()
    with pytest.raises(ordinance.RequestError, match="`resource.size` is an int too large for a JSON number"):
        decide(e, {"sub": "x"}, {"type": "doc", "owner": "u", "size": 10**400})


def test_subclasses_of_json_types_convert(e):
    class Role(str, enum.Enum):
        ADMIN = "u"

    class Size(enum.IntEnum):
        BIG = 3

    claims = collections.OrderedDict(sub=Role.ADMIN)
    assert decide(e, claims, {"type": "doc", "owner": "u", "size": Size.BIG}).allowed


def test_floats_are_json_numbers(e):
    d = decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "size": 3.0})
    assert d.reason == "invalid_resource"
    assert d.error == decide(e, {"sub": "u"}, '{"type": "doc", "owner": "u", "size": 3.0}').error
    with pytest.raises(ordinance.RequestError, match=r"`resource.size` is `nan`"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "size": float("nan")})
    with pytest.raises(ordinance.RequestError, match=r"`resource.size` is `-inf`"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "size": float("-inf")})


@pytest.mark.parametrize("value,type_name", [
    ({1, 2}, "set"), (frozenset(), "frozenset"), (datetime.date(2024, 1, 1), "date"),
    (decimal.Decimal("1.5"), "Decimal"), (object(), "object"), (b"bytes", "bytes"),
    (1j, "complex"),
])
def test_non_json_values_raise_with_their_path(e, value, type_name):
    with pytest.raises(ordinance.ClaimsError) as info:
        decide(e, {"sub": "u", "org_metadata": {"tags": ["a", value]}}, {"type": "doc", "owner": "u"})
    assert str(info.value) == (
        f"invalid claims: `claims.org_metadata.tags[1]` is of type `{type_name}`, which has no "
        "JSON form; use dict, list, str, int, float, bool or None"
    )
    with pytest.raises(ordinance.RequestError, match=r"^invalid resource: `resource.meta` is of type"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "meta": value})
    with pytest.raises(ordinance.RequestError, match=r"^invalid context: `context.k\[0\]` is of type"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u"}, context={"k": [value]})
    with pytest.raises(ordinance.ClaimsError):
        e.session({"x": value})


def test_top_level_non_json_values_raise(e):
    with pytest.raises(ordinance.ClaimsError, match=r"`claims` is of type `set`"):
        decide(e, {1}, {"type": "doc", "owner": "u"})
    with pytest.raises(ordinance.RequestError, match=r"`resource` is of type `object`"):
        decide(e, {}, object())


def test_non_str_keys_raise(e):
    with pytest.raises(ordinance.ClaimsError, match=r"`claims.org` has a key of type `int`"):
        decide(e, {"sub": "u", "org": {1: "x"}}, {"type": "doc", "owner": "u"})


def test_lone_surrogates_raise(e):
    with pytest.raises(ordinance.ClaimsError, match=r"`claims.sub` is a str that cannot be encoded"):
        decide(e, {"sub": "\udc80"}, {"type": "doc", "owner": "u"})
    with pytest.raises(ordinance.ClaimsError, match="cannot be encoded as UTF-8"):
        decide(e, "\udc80", {"type": "doc", "owner": "u"})


def test_bytes_must_be_utf8(e):
    with pytest.raises(ordinance.RequestError, match="^invalid resource: the JSON bytes are not UTF-8"):
        decide(e, {"sub": "u"}, b"\xff")


def test_self_reference_is_bounded():
    e = ordinance.Engine(POLICY)
    loop = {"sub": "u"}
    loop["self"] = loop
    with pytest.raises(ordinance.ClaimsError, match="nests more than 64 levels deep") as info:
        decide(e, loop, {"type": "doc", "owner": "u"})
    assert "claims.self.self.self.self.self.self…" in str(info.value)
    items = []
    items.append(items)
    with pytest.raises(ordinance.RequestError, match=r"`resource.l\[0\]\[0\]"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "l": items})
    # still usable afterwards
    assert decide(e, {"sub": "u"}, {"type": "doc", "owner": "u"})


def nested(depth):
    value = "leaf"
    for _ in range(depth):
        value = [value]
    return value


def test_depth_below_the_bound_is_the_engine_s_call(e):
    """Up to 64 levels convert; the engine's own limit (32) then makes it a deny, exactly as
    for the same JSON text."""
    resource = {"type": "doc", "owner": "u", "deep": nested(40)}
    d = decide(e, {"sub": "u"}, resource).to_dict()
    from_text = decide(e, {"sub": "u"}, json.dumps(resource)).to_dict()
    assert d["reason"] == from_text["reason"] == "invalid_resource"
    # the parser of JSON text adds the position; the rest of the message is the same
    limit = "invalid resource: input nests deeper than the limit of 32 levels"
    assert d["error"] == limit and from_text["error"].startswith(limit)
    assert decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "deep": nested(20)}).allowed
    with pytest.raises(ordinance.RequestError, match="nests more than 64"):
        decide(e, {"sub": "u"}, {"type": "doc", "owner": "u", "deep": nested(70)})


def test_argument_types(e):
    with pytest.raises(TypeError):
        e.decide({"sub": "u"}, 5, {"type": "doc", "owner": "u"})
    with pytest.raises(TypeError):
        e.decide({"sub": "u"}, "read", {"type": "doc", "owner": "u"}, now="soon")
    with pytest.raises(OverflowError):
        e.decide({"sub": "u"}, "read", {"type": "doc", "owner": "u"}, now=2**64)
    with pytest.raises(TypeError):
        e.decide({"sub": "u"}, "read", {"type": "doc", "owner": "u"}, NOW)  # now is keyword-only
