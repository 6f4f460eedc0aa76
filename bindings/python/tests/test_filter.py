"""Engine.filter and Filter.to_sql; on a real PostgreSQL (when ORDINANCE_PG_URL is set, as
`scripts/with-postgres.sh` does) the rows the SQL selects are exactly the rows decide allows."""

import itertools
import json
import os

import pytest

import ordinance
from conftest import NOW, POLICIES


def test_filter_kinds(engine, bob, team):
    f = engine.filter(bob, "edit", "task", now=NOW)
    assert f.kind == "condition" and f.reason is None
    assert (f.resource_type, f.action) == ("task", "edit")
    assert repr(f) == "Filter(kind='condition', resource_type='task', action='edit')"
    d = f.to_dict()
    assert d["kind"] == "condition" and d["required"] == ["owner_id", "created_by_id"]
    assert "condition" in d
    never = engine.filter({}, "edit", "task", now=NOW)
    assert never.kind == "never" and never.reason == "no_matching_rule"
    assert never.to_sql() == ("FALSE", [])
    expired = engine.filter(engine.session(bob), "view", "task", now=bob["exp"] + 60)
    assert expired.kind == "never" and expired.reason == "session_expired"


def test_to_sql(engine):
    alice = {"sub": "user_alice"}
    sql, params = engine.filter(alice, "view", "task", now=NOW).to_sql()
    assert "$1" in sql and params == ["user_alice"]
    sql2, params2 = engine.filter(alice, "view", "task", now=NOW).to_sql(
        {"owner_id": "t.owner"}, first_param=3)
    assert '"t"."owner"' in sql2 and "$3" in sql2 and "$1" not in sql2 and params2 == params


def test_filter_errors(engine, bob):
    with pytest.raises(ordinance.RequestError) as info:
        engine.filter(bob, "fly", "task", now=NOW)
    assert info.value.code == "unknown_action" and info.value.rule is None
    assert str(info.value) == "the policy declares no action `fly` on `task`"
    with pytest.raises(ordinance.RequestError) as info:
        engine.filter(bob, "view", "nope", now=NOW)
    assert info.value.code == "unknown_resource_type"
    with pytest.raises(ordinance.RequestError) as info:
        engine.filter(bob, "view", "task", now=NOW).to_sql({"nope": "x"})
    assert info.value.code == "invalid_option"
    with pytest.raises(ordinance.ClaimsError):
        engine.filter({"sub": 1}, "view", "task", now=NOW)
    with pytest.raises(ordinance.RequestError, match="^invalid context") as info:
        engine.filter(bob, "view", "task", context=[1], now=NOW)
    assert info.value.code is None and info.value.rule is None
    with pytest.raises(TypeError):
        engine.filter(bob, "view", "task", now=NOW).to_sql({"owner_id": 1})


PG_URL = os.environ.get("ORDINANCE_PG_URL")


@pytest.mark.skipif(not PG_URL, reason="no PostgreSQL: run under scripts/with-postgres.sh to test SQL filters")
def test_sql_selects_exactly_what_decide_allows(team):
    import psycopg

    engine = ordinance.Engine.from_file(POLICIES / "team_tasks.ord")
    people = ["user_alice", "user_bob", "user_charlie", "user_dana", "user_zed", None]
    owners = ["org_team", "org_other", *people]
    rows = [
        {"id": f"t{i}", "owner_id": owner, "created_by_id": creator}
        for i, (owner, creator) in enumerate(itertools.product(owners, people))
    ]
    checked = allowed = 0
    with psycopg.connect(PG_URL, autocommit=True, cursor_factory=psycopg.RawCursor) as conn:
        conn.execute("CREATE TEMP TABLE task (id text PRIMARY KEY, owner_id text, created_by_id text)")
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO task VALUES ($1, $2, $3)",
                            [(r["id"], r["owner_id"], r["created_by_id"]) for r in rows])
        for claims in team["sessions"].values():
            for action in ["view", "create", "edit", "complete", "delete"]:
                try:
                    f = engine.filter(claims, action, "task", now=NOW)
                except ordinance.ClaimsError:
                    continue
                sql, params = f.to_sql()
                got = {r[0] for r in conn.execute(f"SELECT id FROM task WHERE {sql}", params)}
                want = {
                    r["id"] for r in rows
                    if engine.decide(claims, action, {"type": "task", **r}, now=NOW)
                }
                assert got == want, (claims.get("sub"), action, sql, params)
                checked += 1
                allowed += len(want)
    assert checked >= 20 and allowed > 0
