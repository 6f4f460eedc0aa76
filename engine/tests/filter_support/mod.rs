//! Random sessions, rows and contexts for the filter agreement tests (in memory here, and
//! on PostgreSQL in `tests/postgres`, which includes this file).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use serde_json::{json, Map, Value};

/// A policy that exercises every construct the SQL filter renders: optional attributes of
/// each type, integers, booleans, string lists, string methods, list methods in both
/// directions, claims and metadata of run-time type, the context, and forbids that error.
pub const STRESS_POLICY: &str = r#"
permission org:items:view "View"
permission org:items:edit "Edit"
permission org:items:admin "Administer"
role org:viewer = [org:items:view]
role org:editor = [org:items:view, org:items:edit]
role org:admin = [org:items:*]

resource item {
  owner_id: string,
  team?: string,
  level: int,
  quota?: int,
  archived: bool,
  pinned?: bool,
  tags: [string],
  labels?: [string],
  title?: string,
}

action view, edit, archive, share, audit, export, flag on item

license org.metadata.isLicensed

@id("own")
permit * on item when resource.owner_id == user.id

@id("team_view")
permit view on item when org and resource.team == org.id and has(org:items:view)

@id("public")
permit view on item when resource.tags.contains("public") and not resource.archived

@id("labels_exact")
permit view on item when resource.labels == ["a", "b"]

@id("edit_level")
permit edit on item
  when has(org:items:edit) and resource.level <= 3 and resource.team in ["red", "blue", org.slug]

@id("pinned_lock")
forbid edit on item when resource.pinned because "pinned"

@id("quota")
forbid archive on item when resource.archived and resource.quota > resource.level

@id("high_level")
forbid edit on item when resource.level > 4 and not (resource.team in ["red"])

@id("pinned_labels")
forbid audit on item when (resource.pinned or resource.labels.contains("x")) and resource.title != "hello"

@id("archive_title")
permit archive on item when resource.owner_id.starts_with("user_") or resource.title.ends_with("!")

@id("share_labels")
permit share on item
  when resource.labels.contains_any(["x", "y"]) or resource.tags.contains_all(claims.tags)

@id("share_level")
permit share on item when claims.level == resource.level

@id("share_min")
permit share on item when resource.level >= claims.min_level and resource.title.starts_with(claims.prefix)

@id("banned")
forbid share on item when resource.team == "ops" or resource.title.contains(claims.banned)

@id("audit_admin")
permit audit on item when has_role(org:admin) or resource.owner_id in claims.friends

@id("audit_team")
permit audit on item when resource.team in [resource.owner_id, "ops"]

@id("blocked")
forbid audit on item when org.metadata.blocked

@id("export_licensed")
permit export on item
  when licensed and present(resource.title) and resource.title != ""
   and not (resource.archived == org.metadata.flag)

@id("export_context")
permit export on item
  when context.tags.contains_any(resource.tags) or resource.labels.contains_all(context.required)

@id("export_denied")
forbid export on item when resource.id in context.denied_ids

// `flag`: forbids whose conditions raise errors in every way a row can make them.
@id("flag_all")
permit flag on item when resource.level >= 0 or resource.archived

@id("flag_level")
forbid flag on item when resource.level == claims.level and resource.level < 3

@id("flag_member")
forbid flag on item when resource.labels.contains(claims.min_level)

@id("flag_required")
forbid flag on item when context.required.contains_all(resource.tags)

@id("flag_any")
forbid flag on item when context.tags.contains_any(resource.labels) and not resource.archived

@id("flag_friends")
forbid flag on item when resource.team in claims.friends
"#;

/// A policy for row-level security: everything here reads only Clerk v1 claims the SQL
/// can check, with no context.
pub const RLS_POLICY: &str = r#"
permission org:items:view "View"
permission org:items:edit "Edit"
permission org:items:admin "Administer"
role org:viewer = [org:items:view]
role org:editor = [org:items:view, org:items:edit]
role org:admin = [org:items:*]

resource item {
  owner_id: string,
  team?: string,
  level: int,
  quota?: int,
  archived: bool,
  pinned?: bool,
  tags: [string],
  labels?: [string],
  title?: string,
}

action view, create, edit, delete on item

license org.metadata.isLicensed

@id("own")
permit * on item when resource.owner_id == user.id

@id("team_view")
permit view on item when org and resource.team == org.id and has(org:items:view)

@id("public")
permit view on item when resource.tags.contains("public") and not resource.archived

@id("by_slug")
permit view on item when resource.team in ["red", org.slug] and resource.labels == ["a", "b"]

@id("create_team")
permit create on item when org and resource.team == org.id and has(org:items:edit) and licensed

@id("edit_level")
permit edit on item
  when has(org:items:edit) and resource.level <= 3 and (resource.team == org.id or org.role == "org:admin")

@id("pinned_lock")
forbid edit, delete on item when resource.pinned because "pinned"

@id("quota")
forbid delete on item when resource.archived and resource.quota > resource.level

@id("high_level")
forbid edit on item when resource.level > 4 and not (resource.team in ["red", org.slug])

@id("title_lock")
forbid delete on item when resource.team == "ops" or resource.title.starts_with("x")

@id("delete_admin")
permit delete on item when has_role(org:admin) and resource.title.ends_with("!")

@id("delete_claim")
permit delete on item when claims.level == resource.level and org.metadata.plan == "pro"

@id("blocked")
forbid view, edit on item when org.metadata.blocked
"#;

/// A seeded xorshift generator: the tests are reproducible from their seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    pub fn pick<T: Clone>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())].clone()
    }

    pub fn subset(&mut self, items: &[&str], percent: u64) -> Vec<Value> {
        items.iter().filter(|_| self.chance(percent)).map(|s| json!(s)).collect()
    }
}

pub const USERS: [&str; 3] = ["user_1", "user_2", "user_3"];
pub const ORGS: [&str; 2] = ["org_1", "org_2"];

/// Claims of a Clerk v1 session token: personal or in an organization, any role or
/// permission list, the license flag true, false, absent, `"true"` or null, custom claims
/// of every type, and sometimes expired, not yet valid, pending or invalid.
pub fn claims(rng: &mut Rng, now: i64) -> Value {
    let mut c = Map::new();
    if rng.chance(85) {
        c.insert("sub".into(), json!(rng.pick(&USERS)));
    }
    c.insert("sid".into(), json!("sess_1"));
    c.insert("iat".into(), json!(now - 60));
    c.insert(
        "exp".into(),
        json!(match rng.below(10) {
            0 => now - 3600,
            _ => now + 3600,
        }),
    );
    if rng.chance(5) {
        c.insert("nbf".into(), json!(now + 3600));
    }
    if rng.chance(5) {
        c.insert("sts".into(), json!("pending"));
    }
    if rng.chance(70) {
        c.insert("org_id".into(), json!(rng.pick(&ORGS)));
        if rng.chance(80) {
            let role = rng.pick(&["org:viewer", "org:editor", "org:admin", "org:member", "org:guest"]);
            c.insert("org_role".into(), json!(role));
        }
        if rng.chance(60) {
            let perms = rng.subset(
                &[
                    "org:items:view",
                    "org:items:edit",
                    "org:items:admin",
                    "org:tasks:view",
                    "org:tasks:edit",
                    "org:tasks:manage",
                ],
                30,
            );
            c.insert("org_permissions".into(), Value::Array(perms));
        }
        if rng.chance(60) {
            c.insert("org_slug".into(), json!(rng.pick(&["red", "green", "blue"])));
        }
        let mut md = Map::new();
        match rng.below(6) {
            0 | 1 => {
                md.insert("isLicensed".into(), json!(true));
            }
            2 => {
                md.insert("isLicensed".into(), json!(false));
            }
            3 => {
                md.insert("isLicensed".into(), json!("true"));
            }
            4 => {
                md.insert("isLicensed".into(), Value::Null);
            }
            _ => {}
        }
        match rng.below(7) {
            0 => {
                md.insert("blocked".into(), json!(true));
            }
            1 => {
                md.insert("blocked".into(), json!(false));
            }
            2 => {
                md.insert("blocked".into(), json!("yes"));
            }
            3 => {
                md.insert("blocked".into(), Value::Null);
            }
            4 => {
                md.insert("blocked".into(), json!({"since": 1}));
            }
            _ => {}
        }
        match rng.below(5) {
            0 => {
                md.insert("flag".into(), json!(true));
            }
            1 => {
                md.insert("flag".into(), json!(false));
            }
            2 => {
                md.insert("flag".into(), json!(1));
            }
            _ => {}
        }
        match rng.below(4) {
            0 => {
                md.insert("plan".into(), json!("pro"));
            }
            1 => {
                md.insert("plan".into(), json!("free"));
            }
            2 => {
                md.insert("plan".into(), json!(7));
            }
            _ => {}
        }
        if !md.is_empty() || rng.chance(50) {
            c.insert("org_metadata".into(), Value::Object(md));
        }
    }
    match rng.below(6) {
        0 => {
            c.insert("tags".into(), json!(["public", "x"]));
        }
        1 => {
            c.insert("tags".into(), json!([]));
        }
        2 => {
            c.insert("tags".into(), json!(["a", 3]));
        }
        3 => {
            c.insert("tags".into(), json!("public"));
        }
        4 => {
            c.insert("tags".into(), json!([["a"]]));
        }
        _ => {}
    }
    match rng.below(7) {
        0..=2 => {
            c.insert("level".into(), json!(rng.below(7)));
        }
        3 => {
            c.insert("level".into(), json!("2"));
        }
        4 => {
            c.insert("level".into(), json!(2.5));
        }
        5 => {
            c.insert("level".into(), Value::Null);
        }
        _ => {}
    }
    match rng.below(5) {
        0 | 1 => {
            c.insert("min_level".into(), json!(rng.below(7)));
        }
        2 => {
            c.insert("min_level".into(), json!("3"));
        }
        _ => {}
    }
    match rng.below(4) {
        0 => {
            c.insert("prefix".into(), json!("he"));
        }
        1 => {
            c.insert("prefix".into(), json!(""));
        }
        2 => {
            c.insert("prefix".into(), json!(5));
        }
        _ => {}
    }
    match rng.below(5) {
        0 => {
            c.insert("banned".into(), json!("!"));
        }
        1 => {
            c.insert("banned".into(), json!("zzz"));
        }
        2 => {
            c.insert("banned".into(), json!(1));
        }
        _ => {}
    }
    match rng.below(5) {
        0 => {
            c.insert("friends".into(), json!(["user_1", "org_2"]));
        }
        1 => {
            c.insert("friends".into(), json!("user_1"));
        }
        2 => {
            c.insert("friends".into(), json!([1, "user_2"]));
        }
        3 => {
            c.insert("friends".into(), json!(["user_3", 1]));
        }
        _ => {}
    }
    if rng.chance(12) {
        // Claims `Session::from_claims` rejects: `decide` denies everything (`invalid_claims`),
        // and so must row-level security. Each breaks one check of a valid Clerk v1 token.
        let (key, value) = match rng.below(14) {
            0 => ("sub", json!("")),
            1 => ("sub", json!(42)),
            2 => ("exp", json!("soon")),
            3 => ("exp", json!(now as f64 + 3600.5)),
            4 => ("org_permissions", json!(["org:items:view", 7])),
            5 => ("act", json!("admin")),
            6 => ("v", json!(3)),
            7 => ("o", json!({"id": "org_1"})),
            8 => ("fea", json!("o:items,bad")),
            9 => ("fva", json!([5])),
            10 => ("sts", json!("archived")),
            11 => ("org_metadata", json!(["not", "an", "object"])),
            12 => ("azp", json!(null)),
            _ => {
                // Organization claims without an organization.
                c.remove("org_id");
                ("org_role", json!("org:admin"))
            }
        };
        c.insert(key.into(), value);
    }
    Value::Object(c)
}

/// A request context for the stress policy.
pub fn context(rng: &mut Rng) -> Value {
    let mut c = Map::new();
    match rng.below(6) {
        0 => {
            c.insert("tags".into(), json!(["red", "x"]));
        }
        1 => {
            c.insert("tags".into(), json!([]));
        }
        2 => {
            c.insert("tags".into(), json!("red"));
        }
        3 => {
            c.insert("tags".into(), json!([1, "red"]));
        }
        4 => {
            c.insert("tags".into(), json!(["red", 1]));
        }
        _ => {}
    }
    match rng.below(5) {
        0 => {
            c.insert("required".into(), json!(["a"]));
        }
        1 => {
            c.insert("required".into(), json!([]));
        }
        2 => {
            c.insert("required".into(), json!(["a", 2]));
        }
        3 => {
            c.insert("required".into(), json!([2, "a"]));
        }
        _ => {}
    }
    match rng.below(4) {
        0 => {
            c.insert("denied_ids".into(), json!(["r1", "r3"]));
        }
        1 => {
            c.insert("denied_ids".into(), json!([]));
        }
        2 => {
            c.insert("denied_ids".into(), json!(5));
        }
        _ => {}
    }
    Value::Object(c)
}

fn maybe_null(rng: &mut Rng, percent: u64, v: impl FnOnce(&mut Rng) -> Value) -> Value {
    if rng.chance(percent) {
        Value::Null
    } else {
        v(rng)
    }
}

fn words(rng: &mut Rng, pool: &[&str]) -> Value {
    let n = rng.below(4);
    let mut items: Vec<Value> = (0..n).map(|_| json!(rng.pick(pool))).collect();
    if rng.chance(4) {
        items.push(Value::Null);
    }
    if rng.chance(2) && !items.is_empty() {
        return json!([items.clone(), items]);
    }
    Value::Array(items)
}

/// One row of an `item` table as a JSON object (column -> value; `null` is SQL `NULL`).
/// Required columns are sometimes `NULL`, string lists sometimes hold a `NULL` or are
/// two-dimensional: such rows are not valid resources.
pub fn item_row(rng: &mut Rng, id: usize) -> Value {
    let owners = ["user_1", "user_2", "user_3", "org_1", "org_2", "ops"];
    let teams = ["org_1", "org_2", "red", "blue", "ops", "user_1", "green"];
    let tags = ["public", "x", "a", "b", "red", "y"];
    let titles = ["hello!", "hello", "", "x!", "it's \\ \"quoted\"", "héllo wörld!", "!"];
    json!({
        "id": id,
        "rid": maybe_null(rng, 30, |rng| json!(rng.pick(&["r1", "r2", "r3"]))),
        "owner_id": maybe_null(rng, 4, |rng| json!(rng.pick(&owners))),
        "team": maybe_null(rng, 25, |rng| json!(rng.pick(&teams))),
        "level": maybe_null(rng, 4, |rng| json!(rng.below(7) as i64 - 1)),
        "quota": maybe_null(rng, 40, |rng| json!(rng.below(7))),
        "archived": maybe_null(rng, 4, |rng| json!(rng.chance(30))),
        "pinned": maybe_null(rng, 50, |rng| json!(rng.chance(30))),
        "tags": maybe_null(rng, 4, |rng| words(rng, &tags)),
        "labels": maybe_null(rng, 40, |rng| if rng.chance(25) { json!(["a", "b"]) } else { words(rng, &tags) }),
        "title": maybe_null(rng, 30, |rng| json!(rng.pick(&titles))),
    })
}

/// One row of a `tasks` table for `policies/team_tasks.ord`.
pub fn task_row(rng: &mut Rng, id: usize) -> Value {
    let owners = ["user_1", "user_2", "user_3", "org_1", "org_2"];
    json!({
        "id": id,
        "name": format!("task {id}"),
        "owner_id": maybe_null(rng, 5, |rng| json!(rng.pick(&owners))),
        "created_by_id": maybe_null(rng, 5, |rng| json!(rng.pick(&USERS))),
    })
}

/// The resource `decide` sees for a row: every column as an attribute, `rid` as the id.
pub fn row_resource(resource_type: &str, row: &Value) -> Value {
    let mut doc = row.as_object().cloned().unwrap_or_default();
    doc.remove("id");
    let rid = doc.remove("rid");
    doc.insert("type".into(), json!(resource_type));
    if let Some(rid) = rid {
        doc.insert("id".into(), rid);
    }
    Value::Object(doc)
}

/// A declared attribute: (name, SQL column type, optional).
pub type Attr = (&'static str, &'static str, bool);

/// Declared attributes of the resource types in `policies/`: (file, type, attributes).
pub fn shipped_types() -> Vec<(&'static str, &'static str, Vec<Attr>)> {
    vec![
        ("team_tasks.ord", "task", vec![("owner_id", "text", false), ("created_by_id", "text", false)]),
        (
            "licensing.ord",
            "seat",
            vec![
                ("org_id", "text", false),
                ("license_count", "bigint", false),
                ("licensed_count", "bigint", false),
                ("is_licensed", "boolean", false),
            ],
        ),
        ("rooms.ord", "room", vec![("owner_id", "text", false)]),
        ("calendar_scopes.ord", "calendar", vec![("owner_id", "text", true)]),
    ]
}

/// A random row for declared attributes (SQL column types `text`, `bigint`, `boolean`,
/// `text[]`), `NULL` now and then.
pub fn generic_row(rng: &mut Rng, id: usize, attrs: &[(&str, &str, bool)]) -> Value {
    let ids = ["user_1", "user_2", "user_3", "org_1", "org_2"];
    let mut row = Map::new();
    row.insert("id".into(), json!(id));
    for (name, ty, _) in attrs {
        let v = match *ty {
            "text" => json!(rng.pick(&ids)),
            "bigint" => json!(rng.below(5)),
            "boolean" => json!(rng.chance(50)),
            _ => words(rng, &["a", "b", "c"]),
        };
        row.insert((*name).into(), maybe_null(rng, 8, |_| v));
    }
    Value::Object(row)
}
