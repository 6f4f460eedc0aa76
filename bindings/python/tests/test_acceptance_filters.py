"""Issue 8 from Python, as a newcomer would check it: `engine.filter(...).to_sql()` on the
team task guide's own table (`id serial`, columns the policy does not declare), for the
guide's session kinds and hostile ids, through psycopg; `first_param` numbers the
parameters after the app's own and refuses numbers PostgreSQL cannot bind."""

import os

import pytest

import ordinance
from conftest import NOW, POLICIES

HOSTILE = ["o'brien", "back\\slash", "$1", "ünï😀", "x' OR '1'='1"]


def sessions():
    def org(role, seat=None, org_id="org_1"):
        claims = {"sub": "user_bob", "org_id": org_id, "org_role": role, "exp": NOW + 600}
        if seat is not None:
            claims["org_metadata"] = {"isLicensed": seat}
        return claims

    out = {
        "manager": org("org:manager", True),
        "member": org("org:member", True),
        "viewer": org("org:viewer", True),
        "unlicensed member": org("org:member", False),
        "other organization": org("org:manager", True, "org_2"),
        "personal account": {"sub": "user_bob"},
        "anonymous": {},
        "expired": {**org("org:manager", True), "exp": NOW - 3600},
    }
    for i, bad in enumerate(HOSTILE):
        out[f"hostile user {i}"] = {"sub": bad, "org_id": "org_1", "org_role": "org:member",
                                    "org_metadata": {"isLicensed": True}}
        out[f"hostile org {i}"] = {"sub": "user_bob", "org_id": bad, "org_role": "org:manager",
                                   "org_metadata": {"isLicensed": True}}
    return out


@pytest.fixture(scope="module")
def engine():
    return ordinance.Engine.from_file(POLICIES / "team_tasks.ord")


def test_first_param_must_be_a_postgresql_parameter_number(engine):
    f = engine.filter({"sub": "user_bob"}, "view", "task", now=NOW)
    sql, params = f.to_sql(first_param=2)
    assert "$2::text" in sql and "$1" not in sql and params == ["user_bob"]
    for bad in (0, 65536):
        with pytest.raises(ordinance.RequestError) as info:
            f.to_sql(first_param=bad)
        assert info.value.code == "invalid_option"


def test_kinds_and_reasons_for_the_guides_sessions(engine):
    s = sessions()
    assert engine.filter(s["anonymous"], "view", "task", now=NOW).reason == "no_matching_rule"
    assert engine.filter(s["expired"], "view", "task", now=NOW).reason == "session_expired"
    for kind in ("manager", "member", "viewer", "unlicensed member", "personal account"):
        f = engine.filter(s[kind], "view", "task", now=NOW)
        assert f.kind == "condition", kind
        sql, params = f.to_sql()
        assert "user_bob" in params and "user_bob" not in sql


PG_URL = os.environ.get("ORDINANCE_PG_URL")


@pytest.mark.skipif(not PG_URL, reason="no PostgreSQL: run under scripts/with-postgres.sh to test SQL filters")
def test_seed_table_rows_are_exactly_what_decide_allows(engine):
    import psycopg
    from psycopg.rows import dict_row

    ids = ["user_bob", "user_ann", "org_1", "org_2", *HOSTILE]
    checked = allowed = 0
    with psycopg.connect(PG_URL, autocommit=True, cursor_factory=psycopg.RawCursor, row_factory=dict_row) as conn:
        conn.execute("""create temp table tasks (
            id serial primary key, name text not null, description text,
            is_done boolean not null default false, owner_id text not null,
            created_on timestamp not null default now(), created_by_id text not null)""")
        with conn.cursor() as cur:
            cur.executemany("insert into tasks (name, description, owner_id, created_by_id) values ($1, $2, $3, $4)",
                            [(f"{o}/{c}", None if i % 2 else "d", o, c)
                             for i, (o, c) in enumerate((o, c) for o in ids for c in ids)])
        rows = conn.execute("select id, name, description, is_done, owner_id, created_by_id from tasks").fetchall()
        for kind, claims in sessions().items():
            for action in ["view", "create", "edit", "complete", "delete"]:
                sql, params = engine.filter(claims, action, "task", now=NOW).to_sql(first_param=2)
                got = {r["id"] for r in conn.execute(
                    f"select id from tasks where name <> $1 and {sql}", ["-", *params])}
                want = {r["id"] for r in rows
                        if engine.decide(claims, action, {**r, "type": "task", "id": str(r["id"])}, now=NOW)}
                assert got == want, (kind, action, sql, params)
                checked += len(rows)
                allowed += len(want)
    assert allowed > 100 and allowed * 2 < checked
