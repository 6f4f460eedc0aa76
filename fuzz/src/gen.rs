//! Structured random policies and requests for the differential checks, driven by an
//! [`arbitrary::Unstructured`] byte source.
//!
//! Shared by the `differential` fuzz target (bytes from libFuzzer) and by
//! `engine/tests/security_props.rs` (bytes from proptest, on stable), so both run exactly
//! the same property. Policies are built from a small grammar over a fixed set of
//! declarations: most of them pass validation, and the rest are skipped by the callers.
//! Requests mix well-formed values with wrong types, nulls, numbers beyond `i64`, floats,
//! case and Unicode look-alikes.

use arbitrary::{Result, Unstructured};
use serde_json::{json, Map, Value};

/// The declarations every generated policy starts with.
const DECLARATIONS: &str = r#"
permission p:a "A"
permission p:b "B"
permission p:c "C"
permission q:d "D"
role r:x = [p:a]
role r:y = [p:a, p:b]
role r:z = [p:*]
role r:e = []
resource doc { owner: string, level: int, tags: [string], flag?: bool, note?: string }
resource folder { owner: string, level: int, kids?: [string] }
action read, write, delete on doc
action read, share on folder
"#;

/// Where the license flag lives, if anywhere.
const LICENSES: [Option<&str>; 4] = [None, Some("org.metadata.lic"), Some("claims.lic"), Some("claims.meta.lic")];

/// Which resource types a rule's condition may read attributes of.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Doc,
    Folder,
    Both,
}

struct Gen<'u, 'd> {
    u: &'u mut Unstructured<'d>,
    licensed: bool,
}

fn pick<'a, T>(u: &mut Unstructured, items: &'a [T]) -> Result<&'a T> {
    u.choose(items)
}

impl Gen<'_, '_> {
    fn str_term(&mut self, scope: Scope) -> Result<String> {
        let mut terms = vec![
            "user.id",
            "org.id",
            "org.slug",
            "org.role",
            "session.id",
            "session.azp",
            "resource.id",
            "resource.type",
            "resource.owner",
            "claims.email",
            "context.str",
            "org.metadata.tier",
            "session.actor.sub",
            "\"u1\"",
            "\"o1\"",
            "\"User_1\"",
            "\"\u{43e}1\"",
            "\"\"",
            "\"pro\"",
            "\"doc\"",
        ];
        if scope == Scope::Doc {
            terms.push("resource.note");
        }
        Ok(pick(self.u, &terms)?.to_string())
    }

    fn int_term(&mut self) -> Result<String> {
        let terms = [
            "resource.level",
            "claims.n",
            "context.n",
            "org.metadata.seats",
            "session.exp",
            "session.iat",
            "0",
            "1",
            "3",
            "-1",
            "9223372036854775807",
            "-9223372036854775807",
        ];
        Ok(pick(self.u, &terms)?.to_string())
    }

    fn list_term(&mut self, scope: Scope) -> Result<String> {
        let mut terms = vec![
            "org.permissions",
            "scopes(context.s)",
            "scopes(claims.scp)",
            "[\"t1\", \"t2\"]",
            "[\"a\", \"b\"]",
            "[]",
            "[1, 2, 3]",
            "claims.list",
            "context.list",
            "[\"p:a\", \"q:d\"]",
        ];
        match scope {
            Scope::Doc => terms.push("resource.tags"),
            Scope::Folder => terms.push("resource.kids"),
            Scope::Both => {}
        }
        let t = pick(self.u, &terms)?.to_string();
        if self.u.ratio(1, 8)? {
            let a = self.str_term(scope)?;
            let b = self.str_term(scope)?;
            return Ok(format!("[{a}, {b}]"));
        }
        Ok(t)
    }

    fn any_term(&mut self) -> Result<String> {
        let terms =
            ["context.x", "claims.x", "org.metadata.x", "session.actor.x", "context.s", "claims.n", "context.list"];
        Ok(pick(self.u, &terms)?.to_string())
    }

    fn atom(&mut self, scope: Scope) -> Result<String> {
        let kind = self.u.int_in_range(0..=21u8)?;
        Ok(match kind {
            0 => format!("has({})", pick(self.u, &["p:a", "p:b", "p:c", "q:d"])?),
            1 => format!("has_role({})", pick(self.u, &["r:x", "r:y", "r:z", "r:e"])?),
            2 => format!("has_plan(\"{}\")", pick(self.u, &["pro", "org:pro", "user:pro", "free"])?),
            3 => format!("has_feature(\"{}\")", pick(self.u, &["x", "org:x", "user:x", "y"])?),
            4 if self.licensed => "licensed".to_string(),
            5 => {
                let f = pick(self.u, &["", ", first_factor", ", second_factor", ", multi_factor"])?;
                format!("verified_within({}{f})", pick(self.u, &[0, 1, 10, 60])?)
            }
            6 => {
                let mut paths =
                    vec!["context.flag", "claims.email", "org.metadata.tier", "session.actor.sub", "context.x"];
                if scope == Scope::Doc {
                    paths.extend(["resource.flag", "resource.note"]);
                }
                if scope == Scope::Folder {
                    paths.push("resource.kids");
                }
                format!("present({})", pick(self.u, &paths)?)
            }
            7 => pick(
                self.u,
                &["user", "org", "session.actor", "true", "false", "context.flag", "claims.flag", "org.metadata.lic"],
            )?
            .to_string(),
            8 if scope == Scope::Doc => "resource.flag".to_string(),
            9 | 10 => {
                let (a, b) = (self.str_term(scope)?, self.str_term(scope)?);
                format!("{a} {} {b}", pick(self.u, &["==", "!="])?)
            }
            11 | 12 => {
                let (a, b) = (self.int_term()?, self.int_term()?);
                format!("{a} {} {b}", pick(self.u, &["==", "!=", "<", "<=", ">", ">="])?)
            }
            13 => {
                let (a, b) = (self.any_term()?, self.str_term(scope)?);
                format!("{a} {} {b}", pick(self.u, &["==", "!="])?)
            }
            14 => {
                let (a, b) = (self.list_term(scope)?, self.list_term(scope)?);
                format!("{a} {} {b}", pick(self.u, &["==", "!="])?)
            }
            15 => {
                let item = if self.u.ratio(1, 4)? { self.int_term()? } else { self.str_term(scope)? };
                format!("{item} in {}", self.list_term(scope)?)
            }
            16 => format!("{}.contains({})", self.list_term(scope)?, self.str_term(scope)?),
            17 => {
                let m = pick(self.u, &["starts_with", "ends_with", "contains"])?;
                format!("{}.{m}({})", self.str_term(scope)?, self.str_term(scope)?)
            }
            18 => {
                let m = pick(self.u, &["contains_all", "contains_any"])?;
                format!("{}.{m}({})", self.list_term(scope)?, self.list_term(scope)?)
            }
            19 => format!("{} == {}", self.any_term()?, self.any_term()?),
            20 => format!("{} > {}", self.any_term()?, self.int_term()?),
            _ => pick(self.u, &["user", "org", "true", "false"])?.to_string(),
        })
    }

    fn condition(&mut self, scope: Scope, depth: u32) -> Result<String> {
        if depth == 0 || self.u.ratio(1, 2)? {
            return self.atom(scope);
        }
        Ok(match self.u.int_in_range(0..=3u8)? {
            0 => format!("{} and {}", self.condition(scope, depth - 1)?, self.condition(scope, depth - 1)?),
            1 => format!("{} or {}", self.condition(scope, depth - 1)?, self.condition(scope, depth - 1)?),
            2 => format!("not {}", self.paren(scope, depth - 1)?),
            _ => self.paren(scope, depth - 1)?,
        })
    }

    fn paren(&mut self, scope: Scope, depth: u32) -> Result<String> {
        Ok(format!("({})", self.condition(scope, depth)?))
    }

    fn rule(&mut self, index: usize) -> Result<String> {
        let (targets, scope) = *pick(
            self.u,
            &[
                ("read on doc", Scope::Doc),
                ("write on doc", Scope::Doc),
                ("read, write on doc", Scope::Doc),
                ("delete on doc", Scope::Doc),
                ("* on doc", Scope::Doc),
                ("read on doc, folder", Scope::Both),
                ("share on folder", Scope::Folder),
                ("* on folder", Scope::Folder),
                ("read on *", Scope::Both),
                ("read, share on folder", Scope::Folder),
            ],
        )?;
        let forbid = self.u.ratio(1, 3)?;
        let mut text = String::new();
        if self.u.ratio(1, 2)? {
            text.push_str(&format!("@id(\"rule_{index}\")\n"));
        }
        text.push_str(if forbid { "forbid " } else { "permit " });
        text.push_str(targets);
        if self.u.ratio(4, 5)? {
            text.push_str(" when ");
            text.push_str(&self.condition(scope, 3)?);
        }
        if forbid && self.u.ratio(1, 2)? {
            text.push_str(&format!(" because \"{}\"", pick(self.u, &["nope", "license_required", "x.y-z:1"])?));
        }
        text.push('\n');
        Ok(text)
    }
}

/// A random policy over the fixed declarations. It may fail validation (callers skip it).
pub fn policy(u: &mut Unstructured) -> Result<String> {
    let license = *pick(u, &LICENSES)?;
    let mut g = Gen { u, licensed: license.is_some() };
    let mut text = DECLARATIONS.to_string();
    if let Some(path) = license {
        text.push_str(&format!("license {path}\n"));
    }
    let n = g.u.int_in_range(0..=8usize)?;
    let mut rules = Vec::new();
    for i in 0..n {
        rules.push(g.rule(i)?);
    }
    // Every declared action needs a permit to pass validation; where it goes varies.
    let base_doc = format!("permit read, write, delete on doc when {}\n", g.condition(Scope::Doc, 2)?);
    let base_folder = format!("permit read, share on folder when {}\n", g.condition(Scope::Folder, 2)?);
    let at = g.u.int_in_range(0..=rules.len())?;
    rules.insert(at, base_doc);
    let at = g.u.int_in_range(0..=rules.len())?;
    rules.insert(at, base_folder);
    for r in rules {
        text.push_str(&r);
    }
    Ok(text)
}

/// One request, as JSON values, with the time to decide at.
#[derive(Debug, Clone)]
pub struct Request {
    /// The claims object (may be invalid on purpose).
    pub claims: Value,
    /// The action name (may be unknown, empty or differ in case).
    pub action: String,
    /// The resource object (may be invalid on purpose).
    pub resource: Value,
    /// The context object.
    pub context: Value,
    /// Unix time.
    pub now: i64,
}

const NOW: i64 = 1_721_770_150;

/// Picks values for request fields: from `good` values, or, in a hostile request, now and
/// then from `bad` ones (wrong types, nulls, expired times, confusables...).
struct Fields<'u, 'd> {
    u: &'u mut Unstructured<'d>,
    hostile: bool,
}

impl Fields<'_, '_> {
    fn choose(&mut self, good: &[Option<Value>], bad: &[Option<Value>]) -> Result<Option<Value>> {
        if self.hostile && !bad.is_empty() && self.u.ratio(1, 12)? {
            return Ok(pick(self.u, bad)?.clone());
        }
        Ok(pick(self.u, good)?.clone())
    }

    /// Puts `key` into `map` unless the choice is "absent" (`None`).
    fn put(
        &mut self,
        map: &mut Map<String, Value>,
        key: &str,
        good: &[Option<Value>],
        bad: &[Option<Value>],
    ) -> Result<()> {
        if let Some(v) = self.choose(good, bad)? {
            map.insert(key.to_string(), v);
        }
        Ok(())
    }
}

fn s(x: &str) -> Option<Value> {
    Some(json!(x))
}

fn v(x: Value) -> Option<Value> {
    Some(x)
}

fn claims(f: &mut Fields) -> Result<Value> {
    let mut c = Map::new();
    f.put(&mut c, "sub", &[s("u1"), s("u2"), None], &[s("User_1"), s("\u{43e}1"), s(""), v(json!(1)), v(Value::Null)])?;
    f.put(&mut c, "sid", &[s("sess_1"), None], &[v(json!(7))])?;
    f.put(
        &mut c,
        "exp",
        &[v(json!(NOW + 60)), None],
        &[v(json!(NOW - 60)), v(json!(NOW + 3)), v(json!("1721770210")), v(json!(1.5e9))],
    )?;
    f.put(&mut c, "nbf", &[v(json!(NOW - 10)), None], &[v(json!(NOW + 60)), v(Value::Null)])?;
    f.put(&mut c, "iat", &[v(json!(NOW - 10)), None], &[v(json!(NOW + 4)), v(json!(NOW + 6)), v(json!(u64::MAX))])?;
    f.put(&mut c, "azp", &[s("https://app.example"), None], &[v(json!(["x"]))])?;
    f.put(
        &mut c,
        "act",
        &[v(json!({"sub": "admin"})), v(json!({"sub": 5})), None, None],
        &[s("admin"), v(Value::Null)],
    )?;
    f.put(
        &mut c,
        "fva",
        &[v(json!([5, -1])), v(json!([20, 3])), v(json!([0, 0])), None],
        &[v(json!([5])), v(json!([-2, 0]))],
    )?;
    f.put(&mut c, "email", &[s("a@x.com"), v(json!(5)), None], &[])?;
    f.put(&mut c, "n", &[v(json!(2)), v(json!(10)), v(json!(1.5)), v(json!(u64::MAX)), s("3"), None], &[])?;
    f.put(&mut c, "flag", &[v(json!(true)), v(json!(false)), s("true"), v(json!(1)), v(Value::Null), None], &[])?;
    f.put(&mut c, "list", &[v(json!(["a", "t1"])), v(json!([1, 2])), v(json!([])), s("a"), None], &[])?;
    f.put(&mut c, "scp", &[s("a b"), v(json!(["a"])), v(json!([1])), None], &[])?;
    f.put(&mut c, "x", &[s("u1"), v(json!(3)), v(json!(["u1"])), v(json!({"k": 1})), v(Value::Null), None], &[])?;
    f.put(&mut c, "lic", &[v(json!(true)), v(json!(false)), None], &[s("true"), v(json!(1)), v(Value::Null)])?;
    f.put(
        &mut c,
        "meta",
        &[v(json!({"lic": true})), v(json!({"lic": false})), v(json!({})), None],
        &[v(json!({"lic": 1})), s("flat")],
    )?;
    let org_kind = f.u.int_in_range(0..=2u8)?;
    if org_kind == 0 {
        f.put(&mut c, "pla", &[s("u:pro"), None], &[s("o:pro"), s("pro")])?;
        f.put(&mut c, "fea", &[s("u:x"), None], &[s("o:x")])?;
        // Confused deputy: organization claims without an organization.
        f.put(&mut c, "org_role", &[None], &[s("r:z")])?;
        f.put(&mut c, "org_permissions", &[None], &[v(json!(["p:a"])), v(json!([]))])?;
        return Ok(Value::Object(c));
    }
    let mut md = Map::new();
    f.put(&mut md, "lic", &[v(json!(true)), v(json!(false)), None], &[s("true"), v(json!(1)), v(Value::Null)])?;
    f.put(&mut md, "tier", &[s("pro"), s("free"), v(json!(3)), None], &[])?;
    f.put(&mut md, "seats", &[v(json!(3)), v(json!(3.0)), v(json!(u64::MAX)), None], &[])?;
    f.put(&mut md, "x", &[s("o1"), v(json!(["o1"])), v(Value::Null), None], &[])?;
    if org_kind == 1 {
        f.put(&mut c, "org_id", &[s("o1"), s("o2")], &[s("O1"), s("\u{43e}1"), s(""), v(json!(1))])?;
        f.put(&mut c, "org_role", &[s("r:x"), s("r:y"), s("r:z"), s("r:e"), None], &[s("R:X"), v(json!(["r:z"]))])?;
        f.put(&mut c, "org_slug", &[s("acme"), None], &[v(Value::Null)])?;
        f.put(
            &mut c,
            "org_permissions",
            &[v(json!(["p:a"])), v(json!(["p:b", "p:c"])), v(json!(["q:d"])), v(json!([])), None],
            &[v(json!(["P:A"])), s("p:a"), v(json!([1]))],
        )?;
        f.put(&mut c, "pla", &[s("o:pro"), s("u:pro,o:free"), None], &[s("x:pro")])?;
        f.put(&mut c, "fea", &[s("o:x,u:y"), s("uo:x"), None], &[])?;
    } else {
        c.insert("v".into(), json!(2));
        let mut o = Map::new();
        f.put(&mut o, "id", &[s("o1"), s("o2")], &[s(""), v(json!(1))])?;
        f.put(&mut o, "rol", &[s("x"), s("y"), s("z"), None], &[s("org:x"), s("")])?;
        // Feature `x` with names `a`, `b`: masks grant `org:x:a` / `org:x:b`, never `p:*`.
        if f.u.ratio(1, 2)? {
            c.insert("fea".into(), json!("o:x,u:y"));
            o.insert("per".into(), json!("a,b"));
            f.put(&mut o, "fpm", &[s("3"), s("1"), s("0")], &[s("4"), s("18446744073709551616"), s("1,1")])?;
        } else {
            f.put(&mut c, "fea", &[s("u:y"), None], &[s("o:y")])?;
        }
        f.put(&mut c, "pla", &[s("o:pro"), s("u:pro"), None], &[])?;
        c.insert("o".into(), Value::Object(o));
    }
    c.insert("org_metadata".into(), Value::Object(md));
    Ok(Value::Object(c))
}

fn resource(f: &mut Fields) -> Result<(Value, bool)> {
    let mut r = Map::new();
    let doc = f.u.arbitrary::<bool>()?;
    f.put(&mut r, "type", &[s(if doc { "doc" } else { "folder" })], &[s("Doc"), s("other"), s(""), v(json!(1)), None])?;
    f.put(&mut r, "id", &[s("d1"), s("d2"), v(Value::Null), None], &[v(json!(1))])?;
    f.put(
        &mut r,
        "owner",
        &[s("u1"), s("o1"), s("u2"), s("o2")],
        &[s("User_1"), s("\u{43e}1"), v(json!(1)), v(Value::Null), None],
    )?;
    f.put(
        &mut r,
        "level",
        &[v(json!(0)), v(json!(3)), v(json!(5)), v(json!(-1)), v(json!(i64::MAX))],
        &[s("3"), v(json!(3.5)), v(json!(3.0)), v(json!(u64::MAX)), v(Value::Null), None],
    )?;
    f.put(
        &mut r,
        "tags",
        &[
            v(json!(["t1"])),
            v(json!(["t2", "t1"])),
            v(json!([])),
            v(json!((2..22).map(|i| format!("t{i}")).collect::<Vec<_>>())),
        ],
        &[v(json!(["t1", 3])), s("t1"), None],
    )?;
    f.put(&mut r, "flag", &[v(json!(true)), v(json!(false)), v(Value::Null), None], &[s("true"), v(json!(1))])?;
    f.put(&mut r, "note", &[s("abc"), s(""), v(Value::Null), None], &[v(json!(1))])?;
    f.put(&mut r, "kids", &[v(json!(["a"])), v(json!([])), v(Value::Null), None], &[v(json!([1]))])?;
    Ok((Value::Object(r), doc))
}

fn context(f: &mut Fields) -> Result<Value> {
    let mut c = Map::new();
    let many_scopes = (0..20).map(|i| format!("t{i}")).collect::<Vec<_>>().join(" ") + " a b";
    f.put(
        &mut c,
        "s",
        &[s("a b"), s("a"), v(json!(["a", "b"])), s(""), s(&many_scopes), None],
        &[v(json!(["a", 1])), v(json!(5))],
    )?;
    f.put(&mut c, "n", &[v(json!(3)), v(json!(-1)), None], &[v(json!(2.5)), v(json!(u64::MAX)), s("3")])?;
    f.put(&mut c, "flag", &[v(json!(true)), v(json!(false)), None], &[s("true"), v(Value::Null)])?;
    f.put(&mut c, "str", &[s("u1"), s("o1"), None], &[v(json!(1))])?;
    // Lists longer than 16 take the hash-set path of `contains_all` / `contains_any`.
    let long: Vec<Value> = (0..20).map(|i| json!(format!("t{i}"))).collect();
    let mut long_mixed = long.clone();
    long_mixed.push(json!(7));
    f.put(
        &mut c,
        "list",
        &[v(json!(["t1", "a"])), v(json!([])), v(Value::Array(long)), None],
        &[v(json!([[1]])), v(json!([1, "a"])), v(Value::Array(long_mixed))],
    )?;
    f.put(&mut c, "x", &[s("u1"), v(json!(3)), None], &[v(json!({"a": 1})), v(Value::Null)])?;
    Ok(Value::Object(c))
}

/// A random request against the declarations of [`policy`]: three in four are well-formed
/// (and reach the rules), the rest carry hostile values.
pub fn request(u: &mut Unstructured) -> Result<Request> {
    let hostile = u.ratio(1, 4)?;
    let mut f = Fields { u, hostile };
    let claims = claims(&mut f)?;
    let (resource, doc) = resource(&mut f)?;
    let context = context(&mut f)?;
    let good: &[Option<Value>] = if doc { &[s("read"), s("write"), s("delete")] } else { &[s("read"), s("share")] };
    let action = f.choose(good, &[s("Read"), s(""), s("unknown"), s(if doc { "share" } else { "write" })])?;
    let action = action.and_then(|a| a.as_str().map(str::to_string)).unwrap_or_default();
    let now = if f.hostile { NOW + *pick(f.u, &[0i64, 100, -100, 6, -6])? } else { NOW };
    Ok(Request { claims, action, resource, context, now })
}

/// Reason codes a decision may carry (besides `forbidden:<code>`).
const REASONS: [&str; 12] = [
    "permit",
    "no_matching_rule",
    "forbid_errored",
    "session_expired",
    "session_not_yet_valid",
    "invalid_claims",
    "invalid_resource",
    "invalid_context",
    "invalid_request",
    "unknown_action",
    "unknown_resource_type",
    "internal_error",
];

fn shape(d: &ordinance::Decision) -> (bool, String, Option<String>) {
    (d.allowed, d.reason.to_string(), d.rule.as_ref().map(|r| r.to_string()))
}

fn invariants(d: &ordinance::Decision) -> std::result::Result<(), String> {
    let reason = d.reason.as_str();
    if !(REASONS.contains(&reason) || reason.starts_with("forbidden:")) {
        return Err(format!("unknown reason code `{reason}`"));
    }
    if d.allowed != (reason == "permit") {
        return Err(format!("allowed = {} with reason `{reason}`", d.allowed));
    }
    if d.allowed && (d.rule.is_none() || !d.missing.is_empty() || d.error.is_some()) {
        return Err(format!("an allow must name its rule and carry nothing else: {d:?}"));
    }
    Ok(())
}

/// Decides every request through every entry point and checks that they agree with each
/// other and with the naive reference interpreter: same `allowed`, same reason code, same
/// deciding rule. Returns `Ok(false)` when the policy does not validate (nothing to check).
pub fn check_case(policy_text: &str, requests: &[Request]) -> std::result::Result<bool, String> {
    use ordinance::reference::reference_decide;
    use ordinance::{Context, Engine, Options, Policy, Resource, Session};

    let Ok(policy) = Policy::parse(policy_text) else { return Ok(false) };
    let engine = Engine::new(policy.clone());
    let twin = Engine::new(policy.clone());
    // Decided into again and again across the requests (and their hints' allocations).
    let mut reused: Option<ordinance::Decision> = None;
    for req in requests {
        let ctx_label = || format!("policy:\n{policy_text}\nrequest: {req:?}");
        let by_value = engine.decide_value(
            req.claims.clone(),
            &req.action,
            req.resource.clone(),
            Some(req.context.clone()),
            Some(req.now),
        );
        invariants(&by_value).map_err(|e| format!("{e}\n{}", ctx_label()))?;
        let by_json = engine.decide_json(
            &req.claims.to_string(),
            &req.action,
            &req.resource.to_string(),
            Some(&req.context.to_string()),
            Some(req.now),
        );
        let by_request = engine.decide_request(json!({
            "claims": req.claims, "action": req.action, "resource": req.resource,
            "context": req.context, "now": req.now,
        }));
        for (what, other) in [("decide_json", &by_json), ("decide_request", &by_request)] {
            if other != &by_value {
                return Err(format!("{what} {other:?} != decide_value {by_value:?}\n{}", ctx_label()));
            }
        }
        let session = match Session::from_claims(req.claims.clone()) {
            Ok(s) => s,
            Err(_) if by_value.reason == "invalid_claims" => continue,
            Err(e) => return Err(format!("claims rejected ({e}) but decided {by_value:?}\n{}", ctx_label())),
        };
        let resource = match Resource::from_value(req.resource.clone()) {
            Ok(r) => r,
            Err(_) if by_value.reason == "invalid_resource" => continue,
            Err(e) => return Err(format!("resource rejected ({e}) but decided {by_value:?}\n{}", ctx_label())),
        };
        let context = match Context::from_value(req.context.clone()) {
            Ok(c) => c,
            Err(_) if by_value.reason == "invalid_context" => continue,
            Err(e) => return Err(format!("context rejected ({e}) but decided {by_value:?}\n{}", ctx_label())),
        };
        let opts = Options::default().at(req.now).with_context(context.clone());
        let fast = engine.decide_with(&session, &req.action, &resource, &opts);
        if fast != by_value {
            return Err(format!("decide_with {fast:?} != decide_value {by_value:?}\n{}", ctx_label()));
        }
        if let Some(action) = engine.action(&req.action) {
            let found = engine.decide_action(&session, action, &resource, &opts);
            match &mut reused {
                Some(d) => engine.decide_action_into(&session, action, &resource, &opts, d),
                None => reused = Some(found.clone()),
            }
            for (what, other) in [("decide_action", Some(&found)), ("decide_action_into", reused.as_ref())] {
                if other != Some(&fast) {
                    return Err(format!("{what} {other:?} != decide_with {fast:?}\n{}", ctx_label()));
                }
            }
            // An action found by another engine is never this engine's: denied as unknown,
            // or earlier for what the request itself lacks (expired, bad claims...).
            if let Some(foreign) = twin.action(&req.action) {
                let d = engine.decide_action(&session, foreign, &resource, &opts);
                if d.allowed || (d.reason != "unknown_action" && d.reason != fast.reason) {
                    return Err(format!("another engine's action decided {d:?}\n{}", ctx_label()));
                }
            }
        }
        let naive = reference_decide(&policy, &session, &req.action, &resource, &context, req.now);
        if shape(&fast) != naive {
            return Err(format!("fast {:?} != reference {naive:?}\n{}", shape(&fast), ctx_label()));
        }
        // The session was prepared for `engine`; another engine must not reuse those bits.
        let again = twin.decide_with(&session, &req.action, &resource, &opts);
        if shape(&again) != shape(&fast) {
            return Err(format!("second engine {:?} != first {:?}\n{}", shape(&again), shape(&fast), ctx_label()));
        }
        let permitted = engine.permitted_actions(&session, &resource, &opts);
        if permitted.contains(&req.action) != fast.allowed {
            return Err(format!("permitted_actions {permitted:?} disagrees with {fast:?}\n{}", ctx_label()));
        }
        let why = engine.explain(&session, &req.action, &resource, &opts);
        if why.decision != fast {
            return Err(format!("explain {:?} != decide {fast:?}\n{}", why.decision, ctx_label()));
        }
        let _ = why.to_string();
    }
    Ok(true)
}

/// Builds a policy and up to four requests from `data` and runs [`check_case`].
pub fn run_differential(data: &[u8]) -> std::result::Result<bool, String> {
    let mut u = Unstructured::new(data);
    let Ok(text) = policy(&mut u) else { return Ok(false) };
    let n = u.int_in_range(1..=4usize).unwrap_or(1);
    let mut requests = Vec::new();
    for _ in 0..n {
        match request(&mut u) {
            Ok(r) => requests.push(r),
            Err(_) => break,
        }
    }
    check_case(&text, &requests)
}
