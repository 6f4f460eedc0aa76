//! WebAssembly bindings of [`ordinance`], the raw layer of the npm package `ordinance-wasm`.
//!
//! JavaScript users never see this layer: the package's hand-written wrapper (`js/core.js`)
//! turns JS values into JSON text, calls these functions, and maps their errors onto
//! `OrdinanceError` subclasses. Every function here is one delegating call into the engine
//! plus value conversion; there is no policy logic.
//!
//! - Values cross the boundary as JSON text (`JSON.stringify` in JS, the engine's strict
//!   parser here). It measured faster than walking the JS object from Rust with
//!   `serde-wasm-bindgen` (see `docs/performance-wasm.md`); the `bench-serde` feature
//!   adds that variant for the benchmark.
//! - Claims and resources the wrapper has seen before cross as handles (`RawSession`,
//!   `RawResource`) to what the engine prepared from their JSON text; the wrapper checks
//!   that the JS object still holds that JSON before it passes a handle.
//! - Decisions (and `permittedActions` lists) go back as numbers: each engine numbers the
//!   distinct answers it gives (`Table`), and the wrapper asks for an answer's JSON
//!   (`Decision::to_json`'s shape) once per number, then hands out copies. Decisions with an
//!   `error` (which may quote the request) and answers past `TABLE_CAP` come back as JSON
//!   text through `lastJson`. Action names are numbered the same way (`action`).
//! - Errors are thrown as a JSON string `{"kind", "message", ...}`; `kind` is `policy`,
//!   `claims`, `request` or `internal`, and the wrapper builds the matching Error subclass.
//! - `now` is always given by the caller (`Date.now()` in JS): `SystemTime::now` panics on
//!   `wasm32-unknown-unknown`.
//! - Panics: the `wasm-release` profile uses `panic = "abort"`, so a panic traps
//!   (`WebAssembly.RuntimeError`). The panic hook first hands the message to the JS
//!   wrapper's sink; the wrapper then discards the trapped instance (wasm-bindgen's
//!   `__wbg_reset_state`), throws `InternalError`, and rebuilds engines lazily.

use ordinance::{
    ActionId, Context, Decision, DecisionKey, Directory, Engine, Filter, FilterError, Options, PolicyError, Resource,
    Session, SqlOptions,
};
use rustc_hash::FxHasher;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use wasm_bindgen::prelude::*;

/// What `decide*` and `permittedIds` return when the answer has no number in the engine's
/// tables: the wrapper then reads it with `lastJson`.
const NOT_INTERNED: u32 = u32::MAX;

/// What `decideResource` returns when it failed: the error payload is in `lastJson`.
const FAILED: u32 = u32::MAX - 1;

/// How many distinct answers (or action names) an engine numbers. Decisions without an
/// `error` come from the policy (reason, rule, hints), so real policies stay far below it;
/// past it, answers travel as JSON text.
const TABLE_CAP: usize = 1024;

/// Answers numbered by content: equal answers get the same id, so the wrapper builds each
/// distinct answer's JS object once and afterwards only copies it.
struct Table<T> {
    items: Vec<T>,
    index: HashMap<u64, u32, BuildHasherDefault<FxHasher>>,
}

impl<T: PartialEq> Table<T> {
    fn new() -> Table<T> {
        Table { items: Vec::new(), index: HashMap::default() }
    }

    /// The id of `item` (whose hash is `hash`), numbering it if new; `None` when the table
    /// is full or another item has the same hash.
    fn id(&mut self, item: T, hash: u64) -> Result<u32, T> {
        if let Some(&id) = self.index.get(&hash) {
            return match self.items.get(id as usize) {
                Some(known) if *known == item => Ok(id),
                _ => Err(item),
            };
        }
        let Ok(id) = u32::try_from(self.items.len()) else { return Err(item) };
        if self.items.len() >= TABLE_CAP {
            return Err(item);
        }
        self.items.push(item);
        self.index.insert(hash, id);
        Ok(id)
    }
}

fn decision_hash(d: &Decision) -> u64 {
    let mut h = FxHasher::default();
    d.allowed.hash(&mut h);
    d.reason.as_str().hash(&mut h);
    d.rule.as_deref().hash(&mut h);
    d.missing.hash(&mut h);
    h.finish()
}

fn list_hash(list: &[String]) -> u64 {
    let mut h = FxHasher::default();
    list.hash(&mut h);
    h.finish()
}

/// An error payload for the JS wrapper: `{"kind": ..., "message": ...}` plus extra fields.
fn thrown(kind: &str, message: String, extra: Option<Value>) -> JsValue {
    let mut payload = json!({ "kind": kind, "message": message });
    if let (Some(Value::Object(extra)), Some(map)) = (extra, payload.as_object_mut()) {
        map.extend(extra);
    }
    JsValue::from_str(&payload.to_string())
}

fn policy_error(err: &PolicyError) -> JsValue {
    let diagnostics: Vec<Value> = err
        .diagnostics()
        .iter()
        .map(|d| {
            json!({
                "code": d.code,
                "message": d.message,
                "help": d.help,
                "file": d.file,
                "line": d.line,
                "column": d.column,
                "span": { "start": d.span.start, "end": d.span.end },
                "related": d.related.as_ref().map(|(line, column, note)| {
                    json!({ "line": line, "column": column, "message": note })
                }),
            })
        })
        .collect();
    thrown("policy", err.to_string(), Some(json!({ "diagnostics": diagnostics })))
}

fn claims_error(err: &ordinance::ClaimsError) -> JsValue {
    thrown("claims", err.to_string(), None)
}

fn input_error(err: &ordinance::InputError) -> JsValue {
    thrown("request", err.to_string(), None)
}

fn filter_error(err: &FilterError) -> JsValue {
    thrown("request", err.to_string(), Some(json!({ "code": err.code(), "rule": err.rule() })))
}

/// An AuthZEN request. The wrapper made the text with `JSON.stringify`, so a plain parse
/// is enough (it cannot hold duplicate keys); the engine validates the rest.
fn request_value(text: &str) -> Result<Value, JsValue> {
    serde_json::from_str(text).map_err(|e| thrown("request", format!("invalid request: {e}"), None))
}

fn to_json_text<T: serde::Serialize>(value: &T) -> Result<String, JsValue> {
    serde_json::to_string(value).map_err(|e| thrown("internal", e.to_string(), None))
}

/// Unix seconds from JS. The wrapper checks `Number.isSafeInteger` first; the cast
/// saturates, so nothing here can misbehave on other input.
#[allow(clippy::cast_possible_truncation)]
fn unix(now: f64) -> i64 {
    now as i64
}

fn options(context: Option<String>, now: f64) -> Result<Options, JsValue> {
    let opts = Options::default().at(unix(now));
    match context {
        None => Ok(opts),
        Some(text) => Ok(opts.with_context(Context::from_json(&text).map_err(|e| input_error(&e))?)),
    }
}

/// A compiled policy (`Engine` in JS).
#[wasm_bindgen]
pub struct RawEngine {
    engine: Engine,
    /// Action names by the number `action` gave them.
    actions: Vec<String>,
    /// The same actions as the engine found them (`None`: not declared).
    found: Vec<Option<ActionId>>,
    /// Decisions without an `error`, by number (see `decision`).
    decisions: Table<Decision>,
    /// `permittedActions` answers, by number (see `permitted`).
    lists: Table<Vec<String>>,
    /// The last answer that got no number, as JSON text (see `lastJson`).
    last: String,
    /// Decisions by their key (`Engine::decide_action_keyed`): the number of the whole
    /// decision, a deny's hint worked out the first time its key came.
    keyed: HashMap<DecisionKey, u32, BuildHasherDefault<FxHasher>>,
}

impl RawEngine {
    /// The hot path of `decideResource`.
    fn decide_prepared(&mut self, session: &Session, action: u32, resource: &Resource, now: f64) -> u32 {
        let opts = Options::default().at(unix(now));
        let result = match (self.found.get(action as usize), self.actions.get(action as usize)) {
            (Some(&Some(found)), _) => match self.engine.decide_action_keyed(session, found, resource, &opts) {
                (decision, Some(key)) => match self.keyed.get(&key) {
                    Some(&id) => Ok(id),
                    None => {
                        let decision = match decision.allowed {
                            true => decision,
                            false => self.engine.decide_action(session, found, resource, &opts),
                        };
                        let id = self.decision_id(decision);
                        if let Ok(id) = id {
                            if id != NOT_INTERNED && self.keyed.len() < TABLE_CAP {
                                self.keyed.insert(key, id);
                            }
                        }
                        id
                    }
                },
                (decision, None) => self.decision_id(decision),
            },
            (_, Some(name)) => {
                let decision = self.engine.decide_with(session, name, resource, &opts);
                self.decision_id(decision)
            }
            _ => Err(thrown("internal", format!("no action number {action}"), None)),
        };
        match result {
            Ok(id) => id,
            Err(payload) => {
                self.last = payload.as_string().unwrap_or_default();
                FAILED
            }
        }
    }

    /// The number of `decision` in the engine's table, or `NOT_INTERNED` with its JSON text
    /// in `last` (an `error`, a full table).
    fn decision_id(&mut self, decision: Decision) -> Result<u32, JsValue> {
        if decision.error.is_none() {
            let hash = decision_hash(&decision);
            match self.decisions.id(decision, hash) {
                Ok(id) => return Ok(id),
                Err(d) => self.last = to_json_text(&d)?,
            }
        } else {
            self.last = to_json_text(&decision)?;
        }
        Ok(NOT_INTERNED)
    }

    /// The action numbered `action`, or `name` for `NOT_INTERNED` (an action the wrapper
    /// could not number).
    fn action_name<'a>(&'a self, action: u32, name: &'a Option<String>) -> Result<&'a str, JsValue> {
        match (action, name) {
            (NOT_INTERNED, Some(name)) => Ok(name),
            _ => self
                .actions
                .get(action as usize)
                .map(String::as_str)
                .ok_or_else(|| thrown("internal", format!("no action number {action}"), None)),
        }
    }

    /// The number of a `permittedActions` answer, or `NOT_INTERNED` with its JSON in `last`.
    fn list_id(&mut self, list: Vec<String>) -> Result<u32, JsValue> {
        let hash = list_hash(&list);
        match self.lists.id(list, hash) {
            Ok(id) => Ok(id),
            Err(list) => {
                self.last = to_json_text(&list)?;
                Ok(NOT_INTERNED)
            }
        }
    }

    /// The decision for a prepared session and resource JSON. A bad resource or context is
    /// answered by `Engine::decide_json` on the session's claims, so the deny
    /// (`invalid_resource`, `invalid_context`) is the one the plain path gives.
    fn session_decision(
        &self,
        session: &RawSession,
        action: &str,
        resource: &str,
        context: Option<String>,
        now: f64,
    ) -> Decision {
        let parsed = Resource::from_json(resource).ok().and_then(|r| {
            let opts = match &context {
                None => Some(Options::default().at(unix(now))),
                Some(text) => Context::from_json(text).ok().map(|c| Options::default().at(unix(now)).with_context(c)),
            };
            opts.map(|o| (r, o))
        });
        match parsed {
            Some((resource, opts)) => self.engine.decide_with(&session.session, action, &resource, &opts),
            None => self.engine.decide_json(&session.claims, action, resource, context.as_deref(), Some(unix(now))),
        }
    }
}

#[wasm_bindgen]
impl RawEngine {
    /// Parses, validates and compiles `policy`; `file` names it in errors and rule ids;
    /// `directory` is an AuthZEN subject directory as JSON text.
    #[wasm_bindgen(constructor)]
    pub fn new(policy: &str, file: Option<String>, directory: Option<String>) -> Result<RawEngine, JsValue> {
        let parsed = match file {
            Some(name) => ordinance::Policy::parse_named(&name, policy),
            None => ordinance::Policy::parse(policy),
        };
        let mut engine = Engine::new(parsed.map_err(|e| policy_error(&e))?);
        if let Some(text) = directory {
            engine = engine.with_directory(Directory::from_json(&text).map_err(|e| input_error(&e))?);
        }
        Ok(RawEngine {
            engine,
            actions: Vec::new(),
            found: Vec::new(),
            keyed: HashMap::default(),
            decisions: Table::new(),
            lists: Table::new(),
            last: String::new(),
        })
    }

    /// `Engine::evaluate_at`: an AuthZEN Access Evaluation request, as JSON text.
    pub fn evaluate(&self, request: &str, now: f64) -> Result<String, JsValue> {
        let answer = self.engine.evaluate_at(&request_value(request)?, unix(now)).map_err(|e| input_error(&e))?;
        Ok(answer.to_string())
    }

    /// `Engine::evaluations_at`: an AuthZEN Access Evaluations (batch) request.
    pub fn evaluations(&self, request: &str, now: f64) -> Result<String, JsValue> {
        let answer = self.engine.evaluations_at(&request_value(request)?, unix(now)).map_err(|e| input_error(&e))?;
        Ok(answer.to_string())
    }

    /// `Engine::filter`: the residual policy for `action` on every `resource_type`.
    pub fn filter(
        &self,
        session: &RawSession,
        action: &str,
        resource_type: &str,
        context: Option<String>,
        now: f64,
    ) -> Result<RawFilter, JsValue> {
        let opts = options(context, now)?;
        let filter =
            self.engine.filter(&session.session, action, resource_type, &opts).map_err(|e| filter_error(&e))?;
        Ok(RawFilter { filter })
    }

    /// `Engine::decide_value` on values read straight from JS objects by
    /// serde-wasm-bindgen; only for the conversion benchmark.
    #[cfg(feature = "bench-serde")]
    #[wasm_bindgen(js_name = decideSerde)]
    pub fn decide_serde(&self, claims: JsValue, action: &str, resource: JsValue, now: f64) -> Result<JsValue, JsValue> {
        use serde::Serialize;
        let read =
            |v: JsValue| serde_wasm_bindgen::from_value::<Value>(v).map_err(|e| thrown("request", e.to_string(), None));
        let decision = self.engine.decide_value(read(claims)?, action, read(resource)?, None, Some(unix(now)));
        decision
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| thrown("internal", e.to_string(), None))
    }

    /// Numbers an action name for the `*Id` methods (the wrapper keeps the map from names);
    /// `NOT_INTERNED` once the engine has numbered `TABLE_CAP` names.
    pub fn action(&mut self, name: &str) -> u32 {
        match u32::try_from(self.actions.len()) {
            Ok(id) if self.actions.len() < TABLE_CAP => {
                self.actions.push(name.to_owned());
                self.found.push(self.engine.action(name));
                id
            }
            _ => NOT_INTERNED,
        }
    }

    /// The decision JSON of the answer numbered `id` (the wrapper asks once per number).
    pub fn decision(&self, id: u32) -> Result<String, JsValue> {
        match self.decisions.items.get(id as usize) {
            Some(d) => to_json_text(d),
            None => Err(thrown("internal", format!("no decision number {id}"), None)),
        }
    }

    /// The `permittedActions` answer numbered `id`, as a JSON array.
    pub fn permitted(&self, id: u32) -> Result<String, JsValue> {
        match self.lists.items.get(id as usize) {
            Some(list) => to_json_text(list),
            None => Err(thrown("internal", format!("no action list number {id}"), None)),
        }
    }

    /// The last answer numbered `NOT_INTERNED`, as JSON text.
    #[wasm_bindgen(js_name = lastJson)]
    pub fn last_json(&self) -> String {
        self.last.clone()
    }

    /// `Engine::decide_json`, answering with the decision's number (`NOT_INTERNED`: see
    /// `lastJson`). `action` is a number from `action`, or `NOT_INTERNED` with `name`.
    #[wasm_bindgen(js_name = decideJsonId)]
    pub fn decide_json_id(
        &mut self,
        claims: &str,
        action: u32,
        name: Option<String>,
        resource: &str,
        context: Option<String>,
        now: f64,
    ) -> Result<u32, JsValue> {
        let action = self.action_name(action, &name)?;
        let decision = self.engine.decide_json(claims, action, resource, context.as_deref(), Some(unix(now)));
        self.decision_id(decision)
    }

    /// `Engine::decide_with` on a prepared session and resource JSON, answering with the
    /// decision's number. A bad resource or context is answered as `decideJsonId` would.
    #[wasm_bindgen(js_name = decideSessionId)]
    pub fn decide_session_id(
        &mut self,
        session: &RawSession,
        action: u32,
        name: Option<String>,
        resource: &str,
        context: Option<String>,
        now: f64,
    ) -> Result<u32, JsValue> {
        let action = self.action_name(action, &name)?;
        let decision = self.session_decision(session, action, resource, context, now);
        self.decision_id(decision)
    }

    /// `Engine::decide_with` on a prepared session and a prepared resource, without context,
    /// for an action numbered by `action`, answering with the decision's number
    /// (`NOT_INTERNED`: see `lastJson`). The hot path of `decide` from objects seen again:
    /// it returns a plain number (no `Result`, so no multi-value return and no array per
    /// call in the JS glue); `FAILED` means an error, whose payload (as thrown by the other
    /// methods) is then in `lastJson`. An action without a number takes `decideSessionId`.
    #[wasm_bindgen(js_name = decideResource)]
    pub fn decide_resource(&mut self, session: &RawSession, action: u32, resource: &RawResource, now: f64) -> u32 {
        self.decide_prepared(&session.session, action, &resource.resource, now)
    }

    /// `permittedActions` on a prepared resource, without context, answering with the
    /// list's number (`NOT_INTERNED`: see `lastJson`).
    #[wasm_bindgen(js_name = permittedId)]
    pub fn permitted_id(&mut self, session: &RawSession, resource: &RawResource, now: f64) -> Result<u32, JsValue> {
        let list =
            self.engine.permitted_actions(&session.session, &resource.resource, &Options::default().at(unix(now)));
        self.list_id(list)
    }

    /// `Engine::permitted_actions` on resource JSON, answering with the list's number;
    /// throws on a bad resource or context.
    #[wasm_bindgen(js_name = permittedIdText)]
    pub fn permitted_id_text(
        &mut self,
        session: &RawSession,
        resource: &str,
        context: Option<String>,
        now: f64,
    ) -> Result<u32, JsValue> {
        let resource = Resource::from_json(resource).map_err(|e| input_error(&e))?;
        let opts = options(context, now)?;
        let list = self.engine.permitted_actions(&session.session, &resource, &opts);
        self.list_id(list)
    }

    /// Panics inside the engine on purpose (while this engine is borrowed), for the tests
    /// of the panic path.
    #[wasm_bindgen(js_name = panicForTests)]
    pub fn panic_for_tests(&self, message: &str) {
        ordinance::testing::panic_for_tests(message)
    }

    /// `Engine::explain`, rendered as text (`json == false`) or as JSON; throws on a bad
    /// resource or context.
    pub fn explain(
        &self,
        session: &RawSession,
        action: &str,
        resource: &str,
        context: Option<String>,
        now: f64,
        json: bool,
    ) -> Result<String, JsValue> {
        let resource = Resource::from_json(resource).map_err(|e| input_error(&e))?;
        let opts = options(context, now)?;
        let explanation = self.engine.explain(&session.session, action, &resource, &opts);
        if json {
            to_json_text(&explanation)
        } else {
            Ok(explanation.to_string())
        }
    }
}

/// A resource that passed `Resource::from_json`, for many decisions (the wrapper's resource
/// cache).
#[wasm_bindgen]
pub struct RawResource {
    resource: Resource,
}

#[wasm_bindgen]
impl RawResource {
    /// Parses resource JSON; throws a `request` error when it is not a resource.
    #[wasm_bindgen(constructor)]
    pub fn new(resource: &str) -> Result<RawResource, JsValue> {
        Ok(RawResource { resource: Resource::from_json(resource).map_err(|e| input_error(&e))? })
    }
}

/// Validated session claims, prepared for many decisions (`Session` in JS).
#[wasm_bindgen]
pub struct RawSession {
    session: Session,
    /// The claims text, to answer a bad resource exactly as the plain path does.
    claims: String,
}

#[wasm_bindgen]
impl RawSession {
    /// Validates claims once for many decisions (`engine.session(claims)` in JS).
    #[wasm_bindgen(constructor)]
    pub fn new(claims: &str) -> Result<RawSession, JsValue> {
        let session = Session::from_claims_json(claims).map_err(|e| claims_error(&e))?;
        Ok(RawSession { session, claims: claims.to_owned() })
    }

    /// The `sub` claim, if any.
    #[wasm_bindgen(getter, js_name = userId)]
    pub fn user_id(&self) -> Option<String> {
        self.session.user_id().map(str::to_owned)
    }

    /// The active organization's id, if any.
    #[wasm_bindgen(getter, js_name = orgId)]
    pub fn org_id(&self) -> Option<String> {
        self.session.org_id().map(str::to_owned)
    }
}

/// A residual policy (`Filter` in JS).
#[wasm_bindgen]
pub struct RawFilter {
    filter: Filter,
}

#[wasm_bindgen]
impl RawFilter {
    /// `Filter::to_json`, as JSON text.
    pub fn json(&self) -> String {
        self.filter.to_json().to_string()
    }

    /// `Filter::to_sql`: `{"sql", "params"}` as JSON text. `columns` is a JSON object of
    /// attribute -> column names.
    #[wasm_bindgen(js_name = toSql)]
    pub fn to_sql(&self, columns: Option<String>, first_param: u32) -> Result<String, JsValue> {
        let mut opts =
            SqlOptions { first_param: usize::try_from(first_param).unwrap_or(usize::MAX), ..SqlOptions::default() };
        if let Some(text) = columns {
            // Read as a `Value` (the deserializer the AuthZEN requests already use) rather
            // than a `HashMap<String, String>` of its own: a smaller .wasm.
            let bad = |detail: String| {
                thrown(
                    "request",
                    format!("invalid option: `columns` must map attribute names to column names ({detail})"),
                    None,
                )
            };
            let Value::Object(map) = serde_json::from_str::<Value>(&text).map_err(|e| bad(e.to_string()))? else {
                return Err(bad("not an object".to_owned()));
            };
            let mut names = HashMap::with_capacity(map.len());
            for (attribute, column) in map {
                let Value::String(column) = column else {
                    return Err(bad(format!("the column of `{attribute}` is not a string")));
                };
                names.insert(attribute, column);
            }
            opts.columns = names;
        }
        let sql = self.filter.to_sql(&opts).map_err(|e| filter_error(&e))?;
        Ok(json!({ "sql": sql.sql, "params": sql.params }).to_string())
    }
}

#[wasm_bindgen]
extern "C" {
    /// The JS wrapper's panic sink: `{ record(message) }`.
    pub type PanicSink;

    #[wasm_bindgen(method)]
    fn record(this: &PanicSink, message: &str);
}

/// The allocator of the `.wasm`: a TLSF allocator (O(1) allocate and free) instead of std's
/// dlmalloc, for a module ~2.5 KB gzip smaller at the same speed of `decide`; building an
/// engine (`Engine.fromPolicy`) is slower (see docs/performance-wasm.md, "Making room").
/// Single-threaded wasm only, as this package is; memory grows with `memory.grow` as before.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static TLSF: rlsf::GlobalTlsf = rlsf::GlobalTlsf::new();

thread_local! {
    static SINK: RefCell<Option<PanicSink>> = const { RefCell::new(None) };
}

/// Installs the panic hook that hands a panic's message to `sink` before the instance
/// traps. The wrapper calls it after every (re)instantiation.
#[wasm_bindgen(js_name = installPanicSink)]
pub fn install_panic_sink(sink: PanicSink) {
    SINK.with(|s| *s.borrow_mut() = Some(sink));
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let what = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("panic");
        let message = match info.location() {
            Some(at) => format!("{what} (at {}:{})", at.file(), at.line()),
            None => what.to_owned(),
        };
        SINK.with(|s| {
            if let Ok(guard) = s.try_borrow() {
                if let Some(sink) = guard.as_ref() {
                    sink.record(&message);
                }
            }
        });
    }));
}
