// The hand-written JavaScript API of ordinance-wasm, shared by the Node (CommonJS) and
// web (ES module) builds. scripts/build.mjs wraps this file: it defines `raw` (the
// wasm-bindgen glue of src/lib.rs) before it and exports the classes after it, so this file
// uses neither `require` nor `import`.
//
// What the wrapper does, and nothing more:
// - converts values: JS objects become JSON text (`JSON.stringify`); claims and resource
//   objects seen again are recognised without it (see "Objects seen again" below); a decision
//   comes back as the number of a distinct decision this engine has already built, and is
//   handed out as a fresh copy (decision JSON + `JSON.parse` the first time and for decisions
//   with an `error`); `now` defaults to `Date.now()` in seconds;
// - maps errors: the raw layer throws a JSON payload `{kind, message, ...}`, turned here
//   into PolicyError / ClaimsError / RequestError;
// - survives panics: the wasm is built with panic = "abort", so a Rust panic traps with a
//   WebAssembly.RuntimeError. The panic hook has already handed its message to `sink`; the
//   wrapper then replaces the trapped instance with a fresh one (wasm-bindgen's
//   `__wbg_reset_state`), bumps `epoch` and throws InternalError. Engines and sessions keep
//   their source text and rebuild their wasm objects on next use.

/* global raw */

const state = { epoch: 0, panic: null, ready: false };
const sink = {
  record(message) {
    state.panic = message;
  },
};

function installSink() {
  raw.installPanicSink(sink);
  state.ready = true;
}

/** Base class of every error ordinance throws. */
class OrdinanceError extends Error {
  constructor(message, options) {
    super(message, options);
    // Spelled out for ordinance's own classes: a minifier renames classes, and
    // `new.target.name` would then be `e`. A user's subclass keeps its own name.
    this.name = ERROR_NAMES.get(new.target) ?? new.target.name;
  }
}

/** A policy that does not parse or validate; carries the first problem's location. */
class PolicyError extends OrdinanceError {
  constructor(message, diagnostics) {
    super(message);
    const first = diagnostics[0] || {};
    this.file = first.file ?? null;
    this.line = first.line ?? 0;
    this.column = first.column ?? 0;
    this.code = first.code ?? 'policy';
    this.help = first.help ?? null;
    this.diagnostics = diagnostics;
  }
}

/** Claims that cannot be trusted (wrong types, not an object, too large). */
class ClaimsError extends OrdinanceError {}

/** A resource, context, option or argument that cannot be used. */
class RequestError extends OrdinanceError {}

/** A bug inside ordinance (a Rust panic); the engine recovered and stays usable. */
class InternalError extends OrdinanceError {}

const ERROR_NAMES = new Map([
  [OrdinanceError, 'OrdinanceError'],
  [PolicyError, 'PolicyError'],
  [ClaimsError, 'ClaimsError'],
  [RequestError, 'RequestError'],
  [InternalError, 'InternalError'],
]);

function fromPayload(text) {
  let payload;
  try {
    payload = JSON.parse(text);
  } catch {
    return new OrdinanceError(text);
  }
  switch (payload.kind) {
    case 'policy':
      return new PolicyError(payload.message, payload.diagnostics || []);
    case 'claims':
      return new ClaimsError(payload.message);
    case 'request': {
      const error = new RequestError(payload.message);
      // Filter errors say which: `unknown_action`, `not_expressible`, ... and the rule.
      if (payload.code !== undefined) error.code = payload.code;
      if (payload.rule !== undefined) error.rule = payload.rule;
      return error;
    }
    default:
      return new InternalError(`internal error: ${payload.message}`);
  }
}

// Maps whatever the raw layer threw. A trap (or a wasm stack overflow, a RangeError) leaves
// the instance in an unknown state: replace it before anything else runs.
function translate(error) {
  if (typeof error === 'string') return fromPayload(error);
  if (error instanceof WebAssembly.RuntimeError || error instanceof RangeError) {
    const message = state.panic ?? error.message;
    state.panic = null;
    raw.__wbg_reset_state();
    state.epoch++;
    installSink();
    return new InternalError(`internal error: ${message}`, { cause: error });
  }
  return error;
}

// `decide(claims, action, resource, NOW)` would otherwise decide at the clock's time.
function checkOptions(options) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    throw new RequestError('invalid request: options must be an object, e.g. `{ now, context }`');
  }
}

function unixNow(options) {
  checkOptions(options);
  const now = options?.now;
  if (now === undefined || now === null) return Math.floor(Date.now() / 1000);
  if (!Number.isSafeInteger(now)) {
    throw new RequestError('invalid request: `now` must be an integer number of unix seconds');
  }
  return now;
}

function json(value, what, ErrorClass) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (e) {
    throw new ErrorClass(`invalid ${what}: cannot be converted to JSON (${e.message})`, { cause: e });
  }
  // `undefined`, functions and symbols have no JSON form; the engine reports `null`.
  return text === undefined ? 'null' : text;
}

// The context as JSON text; `decideJson` also takes it as text already.
function contextText(options, textAllowed) {
  const context = options?.context;
  if (context === undefined || context === null) return undefined;
  return textAllowed && typeof context === 'string' ? context : json(context, 'context', RequestError);
}

function actionText(action) {
  if (typeof action !== 'string') {
    throw new RequestError('invalid request: `action` must be a string');
  }
  return action;
}

function jsonText(text, what) {
  if (typeof text !== 'string') {
    throw new RequestError(`invalid request: ${what} must be a JSON string`);
  }
  return text;
}

function checkReady() {
  if (!state.ready) {
    throw new OrdinanceError('ordinance-wasm is not initialized: `await init()` first');
  }
}

// ---- Objects seen again ----------------------------------------------------------------
// A UI gates every button of a row with the same claims object and the same resource object.
// Turning them into JSON text on every call (`JSON.stringify`) and parsing that text in the
// engine costs more than the decision itself, so the wrapper remembers, per object (a
// WeakMap: nothing is kept alive), the JSON value the engine last saw from it (a snapshot)
// and what the engine prepared from it (a validated session, a parsed resource). A call with
// the same object first compares the object with the snapshot (`sameJson`); only when they
// are equal is the prepared value used, so a changed object is never answered from the cache.
//
// `sameJson(value, node)` is true only when `JSON.stringify(value)` would give exactly the
// text the snapshot was made from: the same keys in the same order, the same primitive
// values, plain objects and arrays only. Anything else makes it false and the call takes the
// JSON path: another prototype (class instances, `Object.create(null)`, Dates), a `toJSON`
// method (own, inherited or added to Object.prototype / Array.prototype), `undefined`,
// functions, symbols, BigInts, NaN or Infinity where the snapshot has a value, an inherited
// enumerable property, a missing or an added key, an array of another length. It reads each
// property once, as JSON.stringify does (a getter is called once and its value compared).

const OBJECT_PROTO = Object.prototype;
const ARRAY_PROTO = Array.prototype;
const protoOf = Object.getPrototypeOf;
const isArray = Array.isArray;

// A snapshot of a JSON value: an object node has its keys in order and their values; an
// array node has `keys === null`. Leaves (string, number, boolean, null) are stored as is.
// `inner` lists the positions of the values that are objects or arrays.
class JsonNode {
  constructor(keys, values) {
    this.keys = keys;
    this.values = values;
    this.inner = [];
    for (let i = 0; i < values.length; i++) if (values[i] instanceof JsonNode) this.inner.push(i);
  }
}

// The snapshot of a value that came out of JSON.parse.
function snapshot(value) {
  if (typeof value !== 'object' || value === null) return value;
  if (isArray(value)) return new JsonNode(null, value.map(snapshot));
  const keys = Object.keys(value);
  return new JsonNode(keys, keys.map((k) => snapshot(value[k])));
}

// A value read from the object is first compared with `===` against the snapshot's: for a
// leaf of the snapshot (a primitive), equal means the same JSON (NaN and Infinity never are
// in a snapshot; -0 and 0 both give "0"); a snapshot node is never `===` to a user's value,
// so the comparison then goes down (`sameJson`). Objects and arrays have their own
// functions, so each one's property loads see fewer shapes.
function sameJson(value, node) {
  return node.keys === null ? sameArray(value, node) : sameObject(value, node);
}

// One case passes although JSON.stringify would differ: a boxed primitive (`new Number(5)`,
// `new String('ab')`, `Object(1n)`...) whose prototype was replaced with Object.prototype
// looks like a plain object here, while JSON.stringify converts it by its internal slot
// (`null`, `"[object String]"`, a TypeError...). Telling it apart costs an
// `Object.prototype.toString` call per object and call, so it is left as a documented limit
// (docs/performance-wasm.md); no JSON-like data holds such objects by accident.
function sameObject(value, node) {
  if (typeof value !== 'object' || value === null || protoOf(value) !== OBJECT_PROTO || value.toJSON !== undefined) return false;
  const keys = node.keys;
  const values = node.values;
  const n = keys.length;
  let i = 0;
  for (const k in value) {
    if (i === n || k !== keys[i]) return false;
    const s = values[i];
    const v = value[k];
    if (v !== s && (typeof s !== 'object' || s === null || !sameJson(v, s))) return false;
    i++;
  }
  return i === n;
}

function sameArray(value, node) {
  if (!isArray(value) || protoOf(value) !== ARRAY_PROTO || value.toJSON !== undefined) return false;
  const values = node.values;
  const n = values.length;
  if (value.length !== n) return false;
  if (node.inner.length === 0) {
    for (let i = 0; i < n; i++) if (value[i] !== values[i]) return false;
    return true;
  }
  for (let i = 0; i < n; i++) {
    const s = values[i];
    const v = value[i];
    if (v !== s && (typeof s !== 'object' || s === null || !sameJson(v, s))) return false;
  }
  return true;
}

// Makes the snapshot's leaves the very values `value` holds where they are `===` (so equal
// JSON): V8 then compares those strings by address on the next calls instead of by content
// (the snapshot's own strings come from JSON.parse). Replaces nothing that is not `===`, so
// it changes no answer of `sameJson`. Reads only plain data properties (`value` has just been
// found equal to the snapshot, or is about to be compared with it).
function adopt(value, node) {
  if (typeof value !== 'object' || value === null) return;
  const keys = node.keys;
  const values = node.values;
  for (let i = 0; i < values.length; i++) {
    const d = Object.getOwnPropertyDescriptor(value, keys === null ? String(i) : keys[i]);
    if (d === undefined || !('value' in d)) continue;
    const s = values[i];
    if (s instanceof JsonNode) adopt(d.value, s);
    else if (d.value === s) values[i] = d.value;
  }
}

// Deeply frozen objects. An object bound to a snapshot that is frozen all the way down,
// with data properties only and plain prototypes, cannot change any more: its keys, values and
// prototypes are fixed (for a Proxy too: the invariants of frozen targets bind its traps).
// Only a `toJSON` can still appear (on Object.prototype / Array.prototype, or from a Proxy's
// `get` for a property it does not have), so each call with such an object checks `toJSON`
// on each of its objects and arrays instead of comparing every value (`sameFrozen`). An
// entry's `frozen` is the object that was found deeply frozen (and equal to the entry's
// snapshot) when it was bound; any other object is compared.
function deepFrozen(value, node) {
  if (!(node instanceof JsonNode)) return true;
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return false;
  const descriptors = Object.getOwnPropertyDescriptors(value);
  for (const key of Reflect.ownKeys(descriptors)) if (!('value' in descriptors[key])) return false;
  for (const i of node.inner) {
    const child = node.keys === null ? value[i] : value[node.keys[i]];
    if (!deepFrozen(child, node.values[i])) return false;
  }
  return true;
}

function sameFrozen(value, node) {
  if (value.toJSON !== undefined) return false;
  const inner = node.inner;
  for (let j = 0; j < inner.length; j++) {
    const i = inner[j];
    if (!sameFrozen(node.keys === null ? value[i] : value[node.keys[i]], node.values[i])) return false;
  }
  return true;
}

// Compiled comparisons. `sameJson` is one function for every snapshot, so its property loads
// see the shapes of every claims and resource object (and of their nested objects) and V8 keeps
// them generic. For each distinct shape of snapshot (its keys, nesting and array lengths) the
// wrapper therefore generates the same comparison as straight-line code (`new Function`) whose
// loads each see one shape, and passes the snapshot's leaves in as an array (`leavesOf`): the
// rows of a list share one function. The generated function answers exactly as `sameJson` does
// (cache.test.mjs checks both, the interpreted one in a process where code generation is
// refused). Where code cannot be generated (a Content-Security-Policy without
// 'unsafe-eval') or a snapshot is too large to be worth it, `sameJson` is used.
const COMPILED_SHAPES = 256;
const COMPILED_NODES = 32; // objects and arrays in one snapshot
const COMPILED_ENTRIES = 256; // keys and leaves outside leaf-only arrays, in one snapshot
const compiledShapes = new Map(); // shape -> function (value, leaves) or null
let generate = true; // false once the host refused `new Function`

// The shape of a snapshot, or null when it is too large to compile.
function shapeOf(root) {
  let nodes = 0;
  let entries = 0;
  const walk = (node) => {
    if (++nodes > COMPILED_NODES) return null;
    const parts = [];
    if (node.keys === null && node.inner.length === 0) return '[*]';
    for (let i = 0; i < node.values.length; i++) {
      if (++entries > COMPILED_ENTRIES) return null;
      const s = node.values[i];
      const inner = s instanceof JsonNode ? walk(s) : '';
      if (inner === null) return null;
      parts.push(node.keys === null ? inner : `${JSON.stringify(node.keys[i])}${inner}`);
    }
    return node.keys === null ? `[${parts.join(',')}]` : `{${parts.join(',')}}`;
  };
  return walk(root);
}

// The snapshot's leaves in the order the generated code reads them; an array of leaves is
// one (its values).
function leavesOf(node, out = []) {
  if (node.keys === null && node.inner.length === 0) {
    out.push(node.values);
    return out;
  }
  for (const s of node.values) {
    if (s instanceof JsonNode) leavesOf(s, out);
    else out.push(s);
  }
  return out;
}

// The source of `sameJson(v, node)` for any snapshot of node's shape, its leaves in `L`.
function comparisonSource(root, keyLists) {
  const lines = [];
  let leaf = 0;
  let names = 0;
  const emit = (node, v) => {
    const n = node.values.length;
    if (node.keys === null && node.inner.length === 0) {
      // An array of leaves is one leaf of `L`: the snapshot's array (so its length is not
      // part of the shape, and the claims of two users share one function).
      const a = `v${++names}`;
      lines.push(`const ${a} = L[${leaf++}];`);
      lines.push(`if (!isArray(${v}) || ${v}.toJSON !== undefined || protoOf(${v}) !== AP || ${v}.length !== ${a}.length) return false;`);
      lines.push(`for (let j = 0; j < ${a}.length; j++) if (${v}[j] !== ${a}[j]) return false;`);
      return;
    }
    if (node.keys === null) {
      lines.push(`if (!isArray(${v}) || ${v}.toJSON !== undefined || protoOf(${v}) !== AP || ${v}.length !== ${n}) return false;`);
    } else {
      const keys = `K${keyLists.push(node.keys) - 1}`;
      // `toJSON` first: its load checks the object's map, and V8 can then answer
      // `protoOf` from the map instead of calling it.
      lines.push(`if (typeof ${v} !== 'object' || ${v} === null || ${v}.toJSON !== undefined || protoOf(${v}) !== OP) return false;`);
      lines.push(`{ let i = 0; for (const k in ${v}) { if (k !== ${keys}[i]) return false; i++; } if (i !== ${n}) return false; }`);
    }
    for (let i = 0; i < n; i++) {
      const at = node.keys === null ? `${v}[${i}]` : `${v}[${JSON.stringify(node.keys[i])}]`;
      const s = node.values[i];
      if (s instanceof JsonNode) {
        const name = `v${++names}`;
        lines.push(`const ${name} = ${at};`);
        emit(s, name);
      } else {
        lines.push(`if (${at} !== L[${leaf++}]) return false;`);
      }
    }
  };
  emit(root, 'v');
  lines.push('return true;');
  return lines.join('\n');
}

// The compiled comparison for `node`'s shape, or null (then `sameJson` is used).
function compiledCheck(node) {
  if (!generate) return null;
  const shape = shapeOf(node);
  if (shape === null) return null;
  let check = compiledShapes.get(shape);
  if (check !== undefined) return check;
  if (compiledShapes.size >= COMPILED_SHAPES) return null;
  check = null;
  const keyLists = [];
  try {
    const source = comparisonSource(node, keyLists);
    // Each object's key list is a constant of its own (K0, K1...): no array load per key.
    const keyNames = keyLists.map((_, i) => `K${i}`);
    // eslint-disable-next-line no-new-func
    const make = new Function('protoOf', 'isArray', 'OP', 'AP', ...keyNames, `return function same(v, L) {\n${source}\n};`);
    check = make(protoOf, isArray, OBJECT_PROTO, ARRAY_PROTO, ...keyLists);
  } catch (e) {
    // EvalError: the page's Content-Security-Policy forbids code from strings. Anything
    // else leaves this shape to `sameJson`.
    if (e instanceof EvalError) {
      generate = false;
      return null;
    }
  }
  compiledShapes.set(shape, check);
  return check;
}

// Gives `entry` its snapshot of `object` (whose JSON text is the entry's) and the snapshot's
// compiled comparison.
function snapshotInto(entry, object) {
  entry.node = snapshot(JSON.parse(entry.text));
  adopt(object, entry.node);
  if (entry.node instanceof JsonNode) {
    entry.check = compiledCheck(entry.node);
    if (entry.check !== null) entry.leaves = leavesOf(entry.node);
  }
}

// `value` (bound to `entry`) still gives the JSON text of the entry's snapshot.
function same(value, entry) {
  if (entry.frozen === value) return sameFrozen(value, entry.node);
  return entry.check !== null ? entry.check(value, entry.leaves) : sameJson(value, entry.node);
}

// Objects bound to entries (a WeakMap: nothing is kept alive by it), with the last object
// looked up or bound remembered beside it: a UI asks about the same claims and row objects
// several times in a row, and comparing with the last object costs less than a WeakMap
// lookup. `last` always agrees with the map (`set` updates both).
class Bindings {
  constructor() {
    this.map = new WeakMap();
    this.lastObject = null;
    this.lastEntry = undefined;
  }

  get(object) {
    if (object === this.lastObject) return this.lastEntry;
    const entry = this.map.get(object);
    if (entry !== undefined) {
      this.lastObject = object;
      this.lastEntry = entry;
    }
    return entry;
  }

  set(object, entry) {
    this.map.set(object, entry);
    this.lastObject = object;
    this.lastEntry = entry;
  }
}

// Claims given as objects are validated once per distinct JSON text: each engine keeps a
// small cache from the text to its prepared session, so a UI that gates every button with
// the same claims pays for them once. The key is the whole JSON text, so a changed object
// is a new entry; entries from a replaced wasm instance are rebuilt. `decide` prepares a
// session only when it sees the same claims a second time (a new token on every call then
// costs what decideJson costs); invalid claims are never prepared (decide answers them with
// the engine's `invalid_claims` deny). An object that gives a prepared text twice in a row is
// also bound to the entry (with the snapshot), so the next calls with that object skip the
// text (see `bind`).
const CLAIMS_CACHE_SIZE = 16;

class ClaimsEntry {
  constructor(text) {
    this.text = text;
    this.raw = null; // the RawSession, once prepared (null again once evicted)
    this.epoch = -1;
    this.node = null; // the snapshot, made when an object is first bound
    this.check = null; // its compiled comparison (see compiledCheck), with its leaves
    this.leaves = null;
    this.frozen = null; // a deeply frozen object equal to the snapshot (see same)
    this.last = null; // the last object that gave this text (see bind)
  }
}

// The entry with a prepared session for claims text, or null when `decide` sees the text the
// first time; throws the raw layer's payload for bad claims.
function cachedSession(cache, text, always) {
  let entry = cache.get(text);
  if (entry !== undefined && entry.raw !== null && entry.epoch === state.epoch) return entry;
  if (entry === undefined) {
    if (cache.size >= CLAIMS_CACHE_SIZE) {
      const [oldest, old] = cache.entries().next().value;
      cache.delete(oldest);
      if (old.raw !== null && old.epoch === state.epoch) old.raw.free();
      old.raw = null;
      old.last = null;
      old.frozen = null;
    }
    entry = new ClaimsEntry(text);
    cache.set(text, entry);
    if (!always) return null;
  }
  entry.raw = new raw.RawSession(text);
  entry.epoch = state.epoch;
  return entry;
}

// The claims entry (prepared session, current instance) for a claims object, or its JSON text
// when there is none yet. Throws ClaimsError when the claims have no JSON text, and the raw
// layer's payload for bad claims when `always`.
function claimsFor(claims, cache, bound, always) {
  const object = typeof claims === 'object' && claims !== null;
  if (object) {
    const entry = bound.get(claims);
    if (entry !== undefined && entry.raw !== null && same(claims, entry)) {
      if (entry.epoch !== state.epoch) {
        entry.raw = new raw.RawSession(entry.text);
        entry.epoch = state.epoch;
      }
      return entry;
    }
  }
  const text = json(claims, 'claims', ClaimsError);
  let entry = null;
  try {
    entry = cachedSession(cache, text, always);
  } catch (e) {
    if (always || typeof e !== 'string') throw e;
  }
  if (entry === null) return text;
  if (object) bind(bound, claims, entry);
  return entry;
}

// Binds `object` to `entry` (whose text it has just given) when it is the second time in a
// row that this object gave this text: an object made anew for every call (`{...row}`) is
// then never bound, which would cost a WeakMap entry per call for nothing. `entry.last` holds
// the last such object strongly; the caches are small, so few objects are kept that way.
function bind(bindings, object, entry) {
  if (entry.last !== object) {
    entry.last = object;
    return;
  }
  if (entry.node === null) snapshotInto(entry, object);
  const node = entry.node;
  if (entry.frozen !== object && deepFrozen(object, node) && sameJson(object, node)) entry.frozen = object;
  bindings.set(object, entry);
}

// Resources: the engine's parsed resource (a RawResource) is kept for the last 64 distinct
// resource JSON texts seen at least twice (a row rendered again, even as a new object, is
// parsed once), and bound to an object that gives that text twice in a row, with its
// snapshot: the next calls with that object compare instead of `JSON.stringify`. Invalid resources are never
// prepared (decide answers them with the engine's `invalid_resource` deny). Resources do not
// depend on the engine, so one cache serves all engines.
const RESOURCE_CACHE_SIZE = 64;

class ResourceEntry {
  constructor(text) {
    this.text = text;
    this.raw = null; // the RawResource, once the text came twice (null again once evicted)
    this.epoch = -1;
    this.node = null;
    this.check = null;
    this.leaves = null;
    this.frozen = null;
    this.last = null; // the last object that gave this text (see bind)
    this.bad = false; // the engine refused this text
  }
}

const resourceTexts = new Map();
const resources = new Bindings();

// The entry with a prepared resource (current instance) for `resource`, or its JSON text.
// Throws RequestError when the resource has no JSON text.
function resourceFor(resource) {
  const object = typeof resource === 'object' && resource !== null;
  if (object) {
    const entry = resources.get(resource);
    if (entry !== undefined && entry.raw !== null && same(resource, entry)) {
      if (entry.epoch !== state.epoch) {
        entry.raw = new raw.RawResource(entry.text);
        entry.epoch = state.epoch;
      }
      return entry;
    }
  }
  const text = json(resource, 'resource', RequestError);
  if (!object) return text;
  let entry = resourceTexts.get(text);
  if (entry === undefined) {
    if (resourceTexts.size >= RESOURCE_CACHE_SIZE) {
      const [oldest, old] = resourceTexts.entries().next().value;
      resourceTexts.delete(oldest);
      if (old.raw !== null && old.epoch === state.epoch) old.raw.free();
      old.raw = null;
      old.last = null;
      old.frozen = null;
    }
    resourceTexts.set(text, new ResourceEntry(text));
    return text;
  }
  if (entry.bad) return text;
  if (entry.raw === null || entry.epoch !== state.epoch) {
    try {
      entry.raw = new raw.RawResource(text);
    } catch (e) {
      if (typeof e !== 'string') throw e;
      entry.bad = true;
      return text;
    }
    entry.epoch = state.epoch;
  }
  bind(resources, resource, entry);
  return entry;
}

// Decisions come back from the raw layer as numbers; each engine keeps the decision for each
// number, built once, and hands out copies (callers may change what they get).
const NOT_INTERNED = 0xffffffff;
// What `decideResource` answers when it failed; its error payload is in `lastJson`.
const FAILED = 0xfffffffe;

function copyDecision(d) {
  const missing = d.missing;
  return { allowed: d.allowed, reason: d.reason, rule: d.rule, missing: missing.length === 0 ? [] : copyMissing(missing) };
}

// (A sized array filled in a loop: cheaper than `map` with a closure on every deny.)
function copyMissing(missing) {
  const n = missing.length;
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const m = missing[i];
    out[i] = { kind: m.kind, name: m.name };
  }
  return out;
}

let sessionRaw;

// The prepared session for a Session or a claims object.
function rawSessionOf(claims, cache, bound) {
  if (claims instanceof Session) return sessionRaw(claims);
  try {
    return claimsFor(claims, cache, bound, true).raw;
  } catch (e) {
    throw translate(e);
  }
}

/** Validated session claims, prepared once for many decisions on one token. */
class Session {
  #claims;
  #raw = null;
  #epoch = -1;

  constructor(claims) {
    checkReady();
    // A Session's own claims: JSON.stringify would see none (its fields are private) and
    // give an anonymous session.
    if (claims instanceof Session) this.#claims = claims.#claims;
    else this.#claims = typeof claims === 'string' ? claims : json(claims, 'claims', ClaimsError);
    this.#get();
  }

  #get() {
    if (this.#epoch !== state.epoch) {
      try {
        this.#raw = new raw.RawSession(this.#claims);
      } catch (e) {
        throw translate(e);
      }
      this.#epoch = state.epoch;
    }
    return this.#raw;
  }

  static {
    sessionRaw = (session) => session.#get();
  }

  /** The `sub` claim, or null. */
  get userId() {
    return this.#get().userId ?? null;
  }

  /** The active organization's id, or null. */
  get orgId() {
    return this.#get().orgId ?? null;
  }

  /** Releases the wasm memory now rather than at garbage collection. */
  free() {
    if (this.#raw !== null && this.#epoch === state.epoch) this.#raw.free();
    this.#raw = null;
    this.#epoch = -1;
  }
}

/**
 * The residual of a policy for one session, action and resource type: which resources the
 * session may act on, as data (`toJSON`) or as a SQL WHERE fragment (`toSql`).
 */
class Filter {
  #make;
  #raw = null;
  #epoch = -1;
  #json;

  constructor(make) {
    this.#make = make;
    let text;
    try {
      text = this.#get().json();
    } catch (e) {
      throw translate(e);
    }
    this.#json = JSON.parse(text);
  }

  #get() {
    if (this.#epoch !== state.epoch) {
      this.#raw = this.#make();
      this.#epoch = state.epoch;
    }
    return this.#raw;
  }

  /** `always`, `never` or `condition`. */
  get kind() {
    return this.#json.kind;
  }

  /** For `never`: the reason code every decision would give. */
  get reason() {
    return this.#json.reason ?? null;
  }

  get resourceType() {
    return this.#json.resource_type;
  }

  get action() {
    return this.#json.action;
  }

  /** The residual: `{kind, resource_type, action, required, condition?, reason?}`. */
  toJSON() {
    return structuredClone(this.#json);
  }

  /**
   * A PostgreSQL WHERE fragment with `$n` bind parameters: `{ sql, params }`.
   * @throws {RequestError} with `code` `not_expressible`, `too_complex` or `invalid_option`.
   */
  toSql(options) {
    checkOptions(options);
    const firstParam = options?.firstParam ?? 1;
    // PostgreSQL numbers parameters $1 to $65535 (the engine also checks the last one).
    if (!Number.isSafeInteger(firstParam) || firstParam < 1 || firstParam > 65535) {
      throw new RequestError('invalid option: `firstParam` must be an integer from 1 to 65535');
    }
    const columns = options?.columns == null ? undefined : json(options.columns, 'option', RequestError);
    try {
      return JSON.parse(this.#get().toSql(columns, firstParam));
    } catch (e) {
      throw translate(e);
    }
  }
}

/** A compiled policy. Build it once and reuse it for every decision. */
class Engine {
  #text;
  #file;
  #directory;
  #raw = null;
  #epoch = -1;
  #sessions = new Map();
  #bound = new Bindings();
  // Of the current raw engine: action name -> number, and the decision / action list built
  // for each number.
  #actions = new Map();
  #lastAction = null; // the last action name numbered or looked up, and its number
  #lastActionId = NOT_INTERNED;
  #decisions = [];
  #lists = [];

  constructor(text, options) {
    checkReady();
    if (typeof text !== 'string') throw new TypeError('the policy text must be a string');
    checkOptions(options);
    // wasm-bindgen copies a string argument without checking it is one: anything else would
    // be read as a string from a wrong address.
    const file = options?.file;
    if (file !== undefined && file !== null && typeof file !== 'string') {
      throw new RequestError('invalid option: `file` must be a string');
    }
    this.#text = text;
    this.#file = file ?? undefined;
    const directory = options?.directory;
    if (directory !== undefined && directory !== null) {
      this.#directory = typeof directory === 'string' ? directory : json(directory, 'directory', RequestError);
    }
    this.#get();
  }

  /**
   * Parses, validates and compiles policy text.
   * @throws {PolicyError} with `line`, `column`, `code`, `help` and `diagnostics`.
   */
  static fromPolicy(text, options) {
    return new Engine(text, options);
  }

  #get() {
    if (this.#epoch !== state.epoch) {
      try {
        this.#raw = new raw.RawEngine(this.#text, this.#file, this.#directory);
      } catch (e) {
        throw translate(e);
      }
      this.#epoch = state.epoch;
      this.#actions = new Map();
      this.#lastAction = null;
      this.#decisions = [];
      this.#lists = [];
    }
    return this.#raw;
  }

  // The number of an action name in the raw engine (NOT_INTERNED once its table is full).
  #actionId(engine, action) {
    if (action === this.#lastAction) return this.#lastActionId;
    let id = this.#actions.get(action);
    if (id === undefined) {
      id = engine.action(action);
      if (id !== NOT_INTERNED) this.#actions.set(action, id);
    }
    if (id !== NOT_INTERNED) {
      this.#lastAction = action;
      this.#lastActionId = id;
    }
    return id;
  }

  // A copy of the decision numbered `id`.
  #decision(engine, id) {
    if (id === NOT_INTERNED) return JSON.parse(engine.lastJson());
    let d = this.#decisions[id];
    if (d === undefined) {
      d = JSON.parse(engine.decision(id));
      this.#decisions[id] = d;
    }
    return copyDecision(d);
  }

  /** Decides `action` on `resource` for `claims` (an object or a Session). */
  decide(claims, action, resource, options) {
    const engine = this.#get();
    const now = unixNow(options);
    const context = contextText(options);
    actionText(action);
    try {
      const target = context === undefined ? resourceFor(resource) : json(resource, 'resource', RequestError);
      let id;
      const actionId = this.#actionId(engine, action);
      const name = actionId === NOT_INTERNED ? action : undefined;
      const prepared = claims instanceof Session;
      const who = prepared ? sessionRaw(claims) : claimsFor(claims, this.#sessions, this.#bound, false);
      if (typeof who === 'string') {
        const resourceJson = typeof target === 'string' ? target : target.text;
        id = engine.decideJsonId(who, actionId, name, resourceJson, context, now);
      } else {
        const session = prepared ? who : who.raw;
        if (typeof target === 'string') {
          id = engine.decideSessionId(session, actionId, name, target, context, now);
        } else if (actionId === NOT_INTERNED) {
          id = engine.decideSessionId(session, actionId, name, target.text, undefined, now);
        } else {
          id = engine.decideResource(session, actionId, target.raw, now);
        }
        if (id === FAILED) throw engine.lastJson();
      }
      return this.#decision(engine, id);
    } catch (e) {
      throw translate(e);
    }
  }

  /** As decide, for callers that already hold the claims and resource as JSON text. */
  decideJson(claimsJson, action, resourceJson, options) {
    const engine = this.#get();
    const now = unixNow(options);
    const context = contextText(options, true);
    jsonText(claimsJson, 'claims');
    actionText(action);
    jsonText(resourceJson, 'resource');
    try {
      const actionId = this.#actionId(engine, action);
      const name = actionId === NOT_INTERNED ? action : undefined;
      return this.#decision(engine, engine.decideJsonId(claimsJson, actionId, name, resourceJson, context, now));
    } catch (e) {
      throw translate(e);
    }
  }

  /** Every action declared on the resource's type that the session may take. */
  permittedActions(claims, resource, options) {
    const engine = this.#get();
    const now = unixNow(options);
    const context = contextText(options);
    let target;
    try {
      target = context === undefined ? resourceFor(resource) : json(resource, 'resource', RequestError);
    } catch (e) {
      throw translate(e);
    }
    const session = rawSessionOf(claims, this.#sessions, this.#bound);
    try {
      const id =
        typeof target === 'string'
          ? engine.permittedIdText(session, target, context, now)
          : engine.permittedId(session, target.raw, now);
      if (id === NOT_INTERNED) return JSON.parse(engine.lastJson());
      let list = this.#lists[id];
      if (list === undefined) {
        list = JSON.parse(engine.permitted(id));
        this.#lists[id] = list;
      }
      return list.slice();
    } catch (e) {
      throw translate(e);
    }
  }

  #explain(claims, action, resource, options, asJson) {
    const engine = this.#get();
    const now = unixNow(options);
    const context = contextText(options);
    actionText(action);
    const resourceJson = json(resource, 'resource', RequestError);
    const session = rawSessionOf(claims, this.#sessions, this.#bound);
    try {
      return engine.explain(session, action, resourceJson, context, now, asJson);
    } catch (e) {
      throw translate(e);
    }
  }

  /** The full trace of a decision, as the CLI's `explain` prints it. */
  explain(claims, action, resource, options) {
    return this.#explain(claims, action, resource, options, false);
  }

  /** The full trace as data: `{decision, rules: [{id, effect, outcome, steps}]}`. */
  explainJson(claims, action, resource, options) {
    return JSON.parse(this.#explain(claims, action, resource, options, true));
  }

  /**
   * Answers an AuthZEN Access Evaluation request: `{ decision, context? }`.
   * @throws {RequestError} for a malformed request (HTTP 400).
   */
  evaluate(request, options) {
    return this.#authzen('evaluate', request, options);
  }

  /**
   * Answers an AuthZEN Access Evaluations (batch) request: `{ evaluations: [...] }`.
   * @throws {RequestError} for a malformed request (HTTP 400).
   */
  evaluations(request, options) {
    return this.#authzen('evaluations', request, options);
  }

  #authzen(method, request, options) {
    const engine = this.#get();
    const now = unixNow(options);
    const text = json(request, 'request', RequestError);
    try {
      return JSON.parse(engine[method](text, now));
    } catch (e) {
      throw translate(e);
    }
  }

  /**
   * The residual policy for `action` on every resource of `resourceType` (list views,
   * SQL WHERE clauses).
   * @throws {ClaimsError} for untrustworthy claims; {@link RequestError} (with `code`) for an
   *   unknown action or resource type.
   */
  filter(claims, action, resourceType, options) {
    this.#get();
    const now = unixNow(options);
    const context = contextText(options);
    actionText(action);
    if (typeof resourceType !== 'string') throw new RequestError('invalid request: `resourceType` must be a string');
    const session = claims instanceof Session ? claims : new Session(claims);
    return new Filter(() => {
      try {
        return this.#get().filter(sessionRaw(session), action, resourceType, context, now);
      } catch (e) {
        throw translate(e);
      }
    });
  }

  /**
   * Validates claims once for many decisions.
   * @throws {ClaimsError} when the claims cannot be trusted.
   */
  session(claims) {
    this.#get();
    return new Session(claims);
  }

  /** Releases the wasm memory now rather than at garbage collection; the engine stays usable. */
  free() {
    for (const entry of this.#sessions.values()) {
      if (entry.raw !== null && entry.epoch === state.epoch) entry.raw.free();
      entry.raw = null;
    }
    this.#sessions.clear();
    if (this.#raw !== null && this.#epoch === state.epoch) this.#raw.free();
    this.#raw = null;
    this.#epoch = -1;
  }

  /** What the object caches run on. Only for the tests of the compiled comparisons. */
  static _cacheStateForTests() {
    return { codeGeneration: generate, compiledShapes: compiledShapes.size };
  }

  /** Panics inside the engine on purpose. Only for the tests of the panic path. */
  _panicForTests(message = 'requested by _panicForTests') {
    const engine = this.#get();
    try {
      engine.panicForTests(message);
    } catch (e) {
      throw translate(e);
    }
  }
}
