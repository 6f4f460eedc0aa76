"""Issue 7 acceptance: the size limits bound dicts as they bound JSON text.

A claims dict, resource dict or context dict is measured as its compact JSON text
(`json.dumps(x, separators=(",", ":"))` for plain values): at the limit it is read, one
byte over it is a deny with `invalid_claims`, `invalid_resource` or `invalid_context`, on
every route (`decide` fast path and general path, `decide_many`, text).
"""

import json

import pytest

import ordinance
from conftest import NOW

POLICY = """
resource doc { owner: string }
action read on doc
permit read on doc when resource.owner == user.id
"""

LIMIT = 65_536


class Dict(dict):
    """A dict subclass: takes the general (value) route."""


def compact(doc):
    return json.dumps(doc, separators=(",", ":"))


def sized(base, n):
    """`base` plus a `pad` string, `n` bytes as compact JSON."""
    doc = dict(base, pad="")
    doc["pad"] = "x" * (n - len(json.dumps(doc, separators=(",", ":"))))
    assert len(json.dumps(doc, separators=(",", ":"))) == n
    return doc


@pytest.fixture
def e():
    return ordinance.Engine(POLICY)


CLAIMS = {"sub": "u", "exp": NOW + 60}
RESOURCE = {"type": "doc", "owner": "u"}


def routes(e, claims, resource, context=None):
    """Every route's decision, as dicts."""
    out = [
        e.decide(claims, "read", resource, context=context, now=NOW),
        e.decide(Dict(claims), "read", Dict(resource), context=None if context is None else Dict(context), now=NOW),
        e.decide(compact(claims), "read", compact(resource),
                 context=None if context is None else compact(context), now=NOW),
    ]
    request = {"claims": claims, "action": "read", "resource": resource, "now": NOW}
    if context is not None:
        request["context"] = context
    out += e.decide_many([request, dict(request)])
    return [d.to_dict() for d in out]


@pytest.mark.parametrize("n", [LIMIT - 1, LIMIT, LIMIT + 1, 10 * LIMIT])
def test_claims_dicts_are_bounded(e, n):
    got = routes(e, sized(CLAIMS, n), RESOURCE)
    want = "permit" if n <= LIMIT else "invalid_claims"
    assert {d["reason"] for d in got} == {want}, got


@pytest.mark.parametrize("n", [LIMIT - 1, LIMIT, LIMIT + 1, 10 * LIMIT])
def test_resource_dicts_are_bounded(e, n):
    got = routes(e, CLAIMS, sized(RESOURCE, n))
    want = "permit" if n <= LIMIT else "invalid_resource"
    assert {d["reason"] for d in got} == {want}, got


@pytest.mark.parametrize("n", [LIMIT - 1, LIMIT, LIMIT + 1, 10 * LIMIT])
def test_context_dicts_are_bounded(e, n):
    got = routes(e, CLAIMS, RESOURCE, sized({}, n))
    want = "permit" if n <= LIMIT else "invalid_context"
    assert {d["reason"] for d in got} == {want}, got


def test_escaped_characters_count_as_their_escapes(e):
    # "\n" is two bytes of JSON text, "é" two bytes of UTF-8, "\u0001" six: the length of
    # the compact JSON text (UTF-8, as serde_json writes it), not len().
    overhead = len(compact(dict(RESOURCE, pad="")))
    for ch, width in (("\n", 2), ("é", 2), ("\u0001", 6)):
        fits = (LIMIT - overhead) // width
        for count, want in ((fits, "permit"), (fits + 1, "invalid_resource")):
            doc = dict(RESOURCE, pad=ch * count)
            size = len(json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode())
            assert (size <= LIMIT) == (want == "permit")
            got = [e.decide(CLAIMS, "read", doc, now=NOW), e.decide(CLAIMS, "read", Dict(doc), now=NOW)]
            got += e.decide_many([{"claims": CLAIMS, "action": "read", "resource": doc, "now": NOW}])
            assert {d.reason for d in got} == {want}, (ch, count, size)
