//! docs/filters.md, statement by statement: the kinds and their reasons, the JSON form, the
//! "What renders" table (each construct's exact SQL), the NULL rules' examples, column maps,
//! `first_param`, shared parameters and the `not_expressible` cases. The Quick start itself
//! runs in engine/tests/doc_examples.rs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use ordinance::*;
use serde_json::{json, Value};
use std::collections::HashMap;

/// Every declared type of "The row as a resource", all required but `team`, `quota`, `level`.
const DECLS: &str = "resource doc { a: string, b: string, n: int, flag: bool, other_flag: bool, tags: [string], \
                     team?: string, quota?: int, level?: int }\naction read on doc\n";

/// The validity checks `to_sql` always renders for `DECLS`: required columns are not NULL,
/// and the `[string]` column is one-dimensional without NULL items.
const VALID: &str = concat!(
    r#""a" IS NOT NULL AND "b" IS NOT NULL AND "n" IS NOT NULL AND "flag" IS NOT NULL"#,
    r#" AND "other_flag" IS NOT NULL AND "tags" IS NOT NULL"#,
    r#" AND (CASE WHEN array_ndims("tags") > 1 THEN FALSE ELSE array_position("tags", NULL) IS NULL END)"#
);

fn session() -> Session {
    Session::from_claims(json!({"sub": "u", "org_id": "o", "org_role": "r", "org_permissions": ["p:q:r"]})).unwrap()
}

fn engine(rules: &str) -> Engine {
    Engine::from_policy_text(&format!("{DECLS}{rules}")).unwrap()
}

fn filter(rules: &str) -> Filter {
    engine(rules).filter(&session(), "read", "doc", &Options::default().at(0)).unwrap()
}

#[test]
fn what_renders_table_row_by_row() {
    let rows: [(&str, &str, Value); 23] = [
        (r#"resource.a == "x""#, r#""a" = $1::text"#, json!(["x"])),
        (r#"resource.a != "x""#, r#"NOT ("a" = $1::text)"#, json!(["x"])),
        ("resource.n == 3", r#""n" = $1::bigint"#, json!([3])),
        ("resource.a == resource.b", r#""a" = "b""#, json!([])),
        ("resource.flag", r#""flag""#, json!([])),
        ("resource.flag == true", r#""flag""#, json!([])),
        ("resource.flag == false", r#"NOT ("flag")"#, json!([])),
        (
            "resource.flag == resource.other_flag",
            r#"(("flag" AND "other_flag") OR (NOT ("flag") AND NOT ("other_flag")))"#,
            json!([]),
        ),
        (r#"resource.tags == ["a", "b"]"#, r#""tags"[:] = $1::text[]"#, json!([["a", "b"]])),
        ("resource.n <= 5", r#""n" <= $1::bigint"#, json!([5])),
        ("3 < resource.n", r#"$1::bigint < "n""#, json!([3])),
        (r#"resource.a in ["x", "y"]"#, r#""a" = ANY($1::text[])"#, json!([["x", "y"]])),
        ("resource.a in org.permissions", r#""a" = ANY($1::text[])"#, json!([["p:q:r"]])),
        (r#""x" in resource.tags"#, r#"$1::text = ANY("tags")"#, json!(["x"])),
        (r#"resource.tags.contains("x")"#, r#"$1::text = ANY("tags")"#, json!(["x"])),
        (r#"resource.a in [resource.b, "x"]"#, r#"("a" = "b" OR "a" = $1::text)"#, json!(["x"])),
        (r#"resource.a.starts_with("x")"#, r#"starts_with("a", $1::text)"#, json!(["x"])),
        (r#"resource.a.ends_with("x")"#, r#"right("a", length($1::text)) = $1::text"#, json!(["x"])),
        (r#"resource.a.contains("x")"#, r#"strpos("a", $1::text) > 0"#, json!(["x"])),
        (r#"resource.tags.contains_all(["a", "b"])"#, r#"$1::text[] <@ "tags""#, json!([["a", "b"]])),
        (r#"["a", "b"].contains_all(resource.tags)"#, r#""tags" <@ $1::text[]"#, json!([["a", "b"]])),
        (r#"resource.tags.contains_any(["a", "b"])"#, r#""tags" && $1::text[]"#, json!([["a", "b"]])),
        ("present(resource.team)", r#""team" IS NOT NULL"#, json!([])),
    ];
    for (condition, sql, params) in rows {
        let f = filter(&format!("permit read on doc when {condition}"));
        assert_eq!(f.kind(), "condition", "{condition}");
        let got = f.to_sql(&SqlOptions::default()).unwrap();
        assert_eq!(got.sql, format!("{VALID} AND {sql}"), "{condition}");
        assert_eq!(Value::from(got.params), params, "{condition}");
    }
    // `list.contains_any(resource.tags)` renders as the other way round.
    let f = filter(r#"permit read on doc when ["a", "b"].contains_any(resource.tags)"#);
    assert!(f.to_sql(&SqlOptions::default()).unwrap().sql.ends_with(r#" AND "tags" && $1::text[]"#));
    // `resource.id` is the `id` column (text); `resource.type` is known: the filtered type.
    let f = filter(r#"permit read on doc when resource.id == "7""#);
    assert_eq!(
        f.to_sql(&SqlOptions::default()).unwrap().sql,
        format!(r#"{VALID} AND "id" IS NOT NULL AND "id" = $1::text"#)
    );
    let f = filter(r#"permit read on doc when resource.type == "doc""#);
    assert_eq!(f.kind(), "always");
    assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().sql, VALID);
}

#[test]
fn kinds_always_never_condition_and_their_sql() {
    // always: TRUE when no attribute is required, else the validity checks only.
    let bare = Engine::from_policy_text("resource doc {}\naction read on doc\npermit read on doc").unwrap();
    let f = bare.filter(&session(), "read", "doc", &Options::default()).unwrap();
    assert_eq!((f.kind(), f.reason()), ("always", None));
    assert_eq!(f.to_sql(&SqlOptions::default()).unwrap(), SqlFilter { sql: "TRUE".into(), params: vec![] });
    let f = filter("permit read on doc when user");
    assert_eq!(f.kind(), "always");
    assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().sql, VALID);

    // never: FALSE, and `reason()` is what `decide` says for every row.
    let nevers: [(&str, Value, &str); 6] = [
        ("permit read on doc when user", json!({"sub": "u", "exp": 100}), "session_expired"),
        ("permit read on doc when user", json!({"sub": "u", "nbf": 1_000_000}), "session_not_yet_valid"),
        (
            "license org.metadata.isLicensed\npermit read on doc when licensed",
            json!({"sub": "u", "org_id": "o", "org_metadata": {"isLicensed": "true"}}),
            "invalid_claims",
        ),
        (
            "permit read on doc\n@id(\"ban\") forbid read on doc when claims.banned == true because \"banned\"",
            json!({"sub": "u", "banned": true}),
            "forbidden:banned",
        ),
        (
            "permit read on doc\nforbid read on doc when claims.level > 3",
            json!({"sub": "u", "level": "x"}),
            "forbid_errored",
        ),
        ("permit read on doc when org", json!({"sub": "u"}), "no_matching_rule"),
    ];
    let row = Resource::from_value(json!({"type": "doc", "a": "x", "b": "y", "n": 1, "flag": true,
                                          "other_flag": false, "tags": []}))
    .unwrap();
    for (rules, claims, reason) in nevers {
        let e = engine(rules);
        let s = Session::from_claims(claims).unwrap();
        let opts = Options::default().at(10_000);
        let f = e.filter(&s, "read", "doc", &opts).unwrap();
        assert_eq!((f.kind(), f.reason()), ("never", Some(reason)), "{rules}");
        assert_eq!(f.to_sql(&SqlOptions::default()).unwrap().sql, "FALSE");
        assert_eq!(f.to_json()["reason"], reason);
        assert_eq!(e.decide_with(&s, "read", &row, &opts).reason, reason, "{rules}");
        assert!(!f.matches(&row));
    }

    // condition: `to_json()` is {kind, resource_type, action, required, condition}.
    let f = filter(r#"permit read on doc when resource.a == "x""#);
    let j = f.to_json();
    let mut keys: Vec<&str> = j.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["action", "condition", "kind", "required", "resource_type"]);
    assert_eq!(
        (j["kind"].as_str(), j["resource_type"].as_str(), j["action"].as_str()),
        (Some("condition"), Some("doc"), Some("read"))
    );
    assert_eq!(j["condition"], json!({"op": "eq", "left": {"attr": "a"}, "right": {"value": "x"}}));
    assert_eq!(j["required"], json!(["a", "b", "n", "flag", "other_flag", "tags"]));
    let j = filter(r#"permit read on doc when not (resource.a == "x" or present(resource.team))"#).to_json();
    assert_eq!(
        j["condition"],
        json!({"op": "not", "arg": {"op": "or", "args": [
            {"op": "eq", "left": {"attr": "a"}, "right": {"value": "x"}},
            {"op": "present", "arg": {"attr": "team"}}]}})
    );

    // An unknown type or action is an error, not `never`.
    let e = engine("permit read on doc");
    assert_eq!(e.filter(&session(), "read", "nope", &Options::default()).unwrap_err().code(), "unknown_resource_type");
    assert_eq!(e.filter(&session(), "write", "doc", &Options::default()).unwrap_err().code(), "unknown_action");
}

#[test]
fn null_examples_match_decide() {
    let s = Session::from_claims(json!({})).unwrap();
    let opts = Options::default().at(0);
    let row = |extra: Value| {
        let mut v =
            json!({"type": "doc", "a": "x", "b": "y", "n": 1, "flag": true, "other_flag": false, "tags": ["x"]});
        v.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Resource::from_value(v).unwrap()
    };
    // `forbid ... when resource.quota > resource.level` excludes rows where quota is NULL.
    let e = engine("permit read on doc\nforbid read on doc when resource.quota > resource.level");
    let f = e.filter(&s, "read", "doc", &opts).unwrap();
    for (r, allowed) in [
        (row(json!({"level": 1})), false),
        (row(json!({"quota": 1, "level": 2})), true),
        (row(json!({"quota": 3, "level": 2})), false),
    ] {
        assert_eq!(f.matches(&r), allowed);
        assert_eq!(e.decide_with(&s, "read", &r, &opts).allowed, allowed);
    }
    // `resource.team == "red" or resource.tags.contains("x")`: no match with team NULL.
    let e = engine(r#"permit read on doc when resource.team == "red" or resource.tags.contains("x")"#);
    let f = e.filter(&s, "read", "doc", &opts).unwrap();
    for (r, allowed) in
        [(row(json!({})), false), (row(json!({"team": "blue"})), true), (row(json!({"team": "red", "tags": []})), true)]
    {
        assert_eq!(f.matches(&r), allowed);
        assert_eq!(e.decide_with(&s, "read", &r, &opts).allowed, allowed);
    }
    // A bare bool attribute is true only when it is true.
    let f = filter("permit read on doc when resource.flag");
    assert!(!f.matches(&row(json!({"flag": false}))));
}

#[test]
fn columns_first_param_shared_parameters_and_literals() {
    let f = filter(r#"permit read on doc when resource.a == "x" and resource.b == "x" and resource.id == "7""#);
    let opts = SqlOptions {
        columns: HashMap::from([("a".to_string(), "t.owner".to_string()), ("id".to_string(), "uuid_col".to_string())]),
        first_param: 3,
    };
    let sql = f.to_sql(&opts).unwrap();
    assert!(sql.sql.starts_with(r#""t"."owner" IS NOT NULL AND "b" IS NOT NULL"#), "{}", sql.sql);
    assert!(
        sql.sql.ends_with(
            r#" AND "t"."owner" = $3::text AND "b" = $3::text AND "uuid_col" IS NOT NULL AND "uuid_col" = $4::text"#
        ),
        "{}",
        sql.sql
    );
    assert_eq!(sql.params, [json!("x"), json!("7")], "equal values share one parameter");
    let bad = SqlOptions { columns: HashMap::from([("nope".to_string(), "x".to_string())]), first_param: 1 };
    assert_eq!(f.to_sql(&bad).unwrap_err().code(), "invalid_option");
    // Literals: a list of integers binds as bigint[].
    let f = filter("permit read on doc when resource.n in [1, 2]");
    let sql = f.to_sql(&SqlOptions::default()).unwrap();
    assert_eq!(sql.sql, format!(r#"{VALID} AND "n" = ANY($1::bigint[])"#));
    assert_eq!(sql.params, [json!([1, 2])]);
}

#[test]
fn not_expressible_names_the_rule() {
    for condition in [
        r#"scopes(resource.a).contains("x")"#,
        "[resource.a, resource.b] == resource.tags",
        "[resource.a, \"x\"].contains_all(resource.tags)",
    ] {
        let e = engine(&format!("@id(\"r1\") permit read on doc when {condition}"));
        let err = e
            .filter(&session(), "read", "doc", &Options::default().at(0))
            .and_then(|f| f.to_sql(&SqlOptions::default()))
            .unwrap_err();
        assert_eq!((err.code(), err.rule()), ("not_expressible", Some("r1")), "{condition}: {err}");
        assert!(err.to_string().contains("`r1`"), "{err}");
    }
}

#[test]
fn forty_optional_or_terms_render_in_the_documented_size() {
    let attrs: Vec<String> = (0..40).map(|i| format!("o{i}?: string")).collect();
    let terms: Vec<String> = (0..40).map(|i| format!("resource.o{i} == \"x\"")).collect();
    let size = |rules: &str| {
        let text = format!("resource doc {{ {} }}\naction read on doc\n{rules}", attrs.join(", "));
        let e = Engine::from_policy_text(&text).unwrap();
        let f = e.filter(&session(), "read", "doc", &Options::default().at(0)).unwrap();
        f.to_sql(&SqlOptions::default()).unwrap().sql.len()
    };
    // docs/filters.md: "19 KB in a `permit`, 57 KB in a `forbid`".
    let permit = size(&format!("permit read on doc when {}", terms.join(" or ")));
    let forbid = size(&format!("permit read on doc\nforbid read on doc when {}", terms.join(" or ")));
    assert_eq!(((permit + 500) / 1000, (forbid + 500) / 1000), (19, 57), "{permit} {forbid}");
}
