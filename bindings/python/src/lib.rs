//! Python bindings for ordinance: the `ordinance` package (pyo3, abi3, CPython ≥ 3.9).
//!
//! A thin shell: one delegating method per engine method, plus conversion between Python
//! values and `serde_json::Value` and the mapping of engine errors to Python exceptions.
//! Nothing here knows what a policy means.
//!
//! - Python `dict`/`list`/`tuple`/`str`/`int`/`float`/`bool`/`None` become JSON values
//!   directly (no JSON text in between). Anything else (a `set`, a `datetime`, an object)
//!   raises `ClaimsError` or `RequestError` naming the path of the bad value; nesting is
//!   bounded at [`MAX_DEPTH`] so a dict that contains itself cannot overflow the stack.
//! - Claims, resources and contexts given as `str` or `bytes` are JSON text, parsed by the
//!   engine's strict parser (duplicate keys rejected, size and depth bounded).
//! - Fast paths, each falling back to the general path above whenever its input is not
//!   plain: built-in types are recognised by exact type first; claims that are a plain
//!   built-in dict go to the engine as JSON text written here (its one-pass claims reader
//!   keeps the registered claims and validates the rest without building it, see
//!   `plain_json`); a plain resource dict is read straight into a `Resource`;
//!   `decide_many` shares work across requests that hold the same claims, resource or
//!   action object and pauses the cyclic GC while it creates its results.
//! - Every entry point runs inside `catch_unwind`: an engine panic becomes
//!   `ordinance.OrdinanceInternalError`, never an abort of the interpreter.

use ordinance::{
    Context, Decision, Directory, Engine, Filter, FilterError, Options, PolicyError as RsPolicyError, Resource,
    Session, SqlOptions,
};
use pyo3::basic::CompareOp;
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::exceptions::PyTypeError;
use pyo3::intern;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PyModule, PyString, PyTuple,
};
use pyo3::IntoPyObjectExt;
use serde_json::{Map, Value};
use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};

create_exception!(ordinance, OrdinanceError, PyException, "Base class of every exception raised by ordinance.");
create_exception!(
    ordinance,
    PolicyError,
    OrdinanceError,
    "The policy text is invalid. `str(err)` is the report the CLI prints (file:line:col, \
     the source line with a caret, a help line); `.line`, `.column`, `.code`, `.help` describe \
     the first problem and `.diagnostics` lists them all as dicts."
);
create_exception!(
    ordinance,
    ClaimsError,
    OrdinanceError,
    "The claims cannot be used: not JSON, not an object, a registered claim of the wrong type, \
     or a Python value with no JSON form. (`decide` reports unusable claims as a deny with \
     reason `invalid_claims` instead; it raises only for values with no JSON form.)"
);
create_exception!(
    ordinance,
    RequestError,
    OrdinanceError,
    "A resource, context, directory, AuthZEN request, filter or SQL option cannot be used (not \
     JSON, the wrong shape, or a Python value with no JSON form). From `Engine.filter` and \
     `Filter.to_sql` it has `.code` (`unknown_resource_type`, `unknown_action`, \
     `not_expressible`, `too_complex` or `invalid_option`) and `.rule`."
);
create_exception!(
    ordinance,
    OrdinanceInternalError,
    OrdinanceError,
    "A bug in ordinance: the engine panicked. The panic was caught; the interpreter and the \
     engine remain usable. Please report it."
);

/// How deep Python containers may nest when converted to JSON. The engine's own limit
/// (32 by default) applies after conversion and gives its usual error; this bound only
/// keeps a self-referencing dict or list from recursing forever.
pub const MAX_DEPTH: usize = 64;

// ------------------------------------------------------------------------------------------
// Panics

/// Runs `f`, turning a Rust panic into `OrdinanceInternalError`.
fn guarded<T>(f: impl FnOnce() -> PyResult<T>) -> PyResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| (*s).to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            Err(OrdinanceInternalError::new_err(format!("internal error in ordinance (please report it): {message}")))
        }
    }
}

// ------------------------------------------------------------------------------------------
// Python -> JSON

/// Which input a value came from: picks the exception and the message prefix.
#[derive(Clone, Copy)]
enum Input {
    Claims,
    Resource,
    Context,
    Request,
    Directory,
}

impl Input {
    fn root(self) -> &'static str {
        match self {
            Input::Claims => "claims",
            Input::Resource => "resource",
            Input::Context => "context",
            Input::Request => "request",
            Input::Directory => "directory",
        }
    }

    fn error(self, message: String) -> PyErr {
        match self {
            Input::Claims => ClaimsError::new_err(message),
            _ => RequestError::new_err(message),
        }
    }
}

enum Segment {
    Key(String),
    Index(usize),
}

/// A Python value with no JSON form, with the path to it (innermost segment first).
struct ConvertError {
    path: Vec<Segment>,
    problem: String,
}

impl ConvertError {
    fn new(problem: impl Into<String>) -> ConvertError {
        ConvertError { path: Vec::new(), problem: problem.into() }
    }

    fn at(mut self, segment: Segment) -> ConvertError {
        self.path.push(segment);
        self
    }

    fn into_pyerr(self, input: Input, root: &str) -> PyErr {
        let segments: Vec<String> = self
            .path
            .iter()
            .rev()
            .map(|segment| match segment {
                Segment::Key(k) => format!(".{k}"),
                Segment::Index(i) => format!("[{i}]"),
            })
            .collect();
        // A path through a self-referencing container is long and repetitive: elide it.
        let path = match (segments.get(..6), segments.get(segments.len().saturating_sub(6)..)) {
            (Some(head), Some(tail)) if segments.len() > 12 => {
                format!("{root}{}…{}", head.concat(), tail.concat())
            }
            _ => format!("{root}{}", segments.concat()),
        };
        input.error(format!("invalid {}: `{path}` {}", input.root(), self.problem))
    }
}

fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type().name().map(|n| n.to_string()).unwrap_or_else(|_| "object".to_string())
}

fn py_str(s: &Bound<'_, PyString>) -> Result<String, ConvertError> {
    s.to_cow()
        .map(Cow::into_owned)
        .map_err(|_| ConvertError::new("is a str that cannot be encoded as UTF-8 (it has a lone surrogate)"))
}

/// Converts a Python value to JSON. `depth` counts the containers around `obj`.
fn to_value(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, ConvertError> {
    // The built-in types themselves first: each test is one pointer comparison, and they
    // are what claims and resources hold. Subclasses (and anything else) take the general
    // path below, which gives the same value for the exact types too.
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return py_str(s).map(Value::String);
    }
    if let Ok(d) = obj.cast_exact::<PyDict>() {
        return object(d, depth);
    }
    if obj.is_exact_instance_of::<PyInt>() {
        return int(obj);
    }
    if let Ok(list) = obj.cast_exact::<PyList>() {
        return items(list.iter(), list.len(), depth);
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    to_value_general(obj, depth)
}

/// [`to_value`] for any type, subclasses of the built-in ones included.
fn to_value_general(obj: &Bound<'_, PyAny>, depth: usize) -> Result<Value, ConvertError> {
    if let Ok(s) = obj.cast::<PyString>() {
        return py_str(s).map(Value::String);
    }
    if let Ok(d) = obj.cast::<PyDict>() {
        return object(d, depth);
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        return int(obj);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return items(list.iter(), list.len(), depth);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return items(tuple.iter(), tuple.len(), depth);
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let x = f.value();
        return serde_json::Number::from_f64(x).map(Value::Number).ok_or_else(|| {
            let shown = if x.is_nan() {
                "nan"
            } else if x > 0.0 {
                "inf"
            } else {
                "-inf"
            };
            ConvertError::new(format!("is `{shown}`, which JSON cannot represent"))
        });
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        return mapping_object(mapping, depth);
    }
    Err(ConvertError::new(format!(
        "is of type `{}`, which has no JSON form; use dict, list, str, int, float, bool or None",
        type_name(obj)
    )))
}

/// Any other `collections.abc.Mapping` (a `MappingProxyType`, a custom mapping): its
/// items, as for a dict. The stubs promise `Mapping` wherever a JSON object is read.
fn mapping_object(mapping: &Bound<'_, PyMapping>, depth: usize) -> Result<Value, ConvertError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    let items = mapping
        .items()
        .map_err(|e| ConvertError::new(format!("is a `{}` whose items cannot be read ({e})", type_name(mapping))))?;
    let mut entries = Vec::with_capacity(items.len());
    for item in items.iter() {
        let (k, v) = item
            .extract::<(Bound<'_, PyAny>, Bound<'_, PyAny>)>()
            .map_err(|_| ConvertError::new(format!("is a `{}` whose items are not pairs", type_name(mapping))))?;
        entries.push(entry(&k, &v, depth)?);
    }
    Ok(Value::Object(map_from(entries)))
}

/// A dict (or a subclass: its stored items, whatever it overrides) as a JSON object.
fn object(d: &Bound<'_, PyDict>, depth: usize) -> Result<Value, ConvertError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    let mut entries = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        entries.push(entry(&k, &v, depth)?);
    }
    Ok(Value::Object(map_from(entries)))
}

/// One entry of a mapping at `depth`: a `str` key (a subclass too) and its value.
fn entry(k: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>, depth: usize) -> Result<(String, Value), ConvertError> {
    let key = match k.cast_exact::<PyString>().or_else(|_| k.cast::<PyString>()) {
        Ok(key) => py_str(key)?,
        Err(_) => {
            return Err(ConvertError::new(format!(
                "has a key of type `{}`; JSON object keys must be str",
                type_name(k)
            )))
        }
    };
    match to_value(v, depth + 1) {
        Ok(value) => Ok((key, value)),
        Err(e) => Err(e.at(Segment::Key(key))),
    }
}

/// A JSON object from its entries in dict order, as inserting them one by one would
/// build it, but sorted and built in one go (faster than one insert per key).
fn map_from(mut entries: Vec<(String, Value)>) -> Map<String, Value> {
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let duplicates = entries.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0));
    if duplicates {
        // Two keys with the same text (a str subclass that redefines equality): the later
        // one wins, as with `insert`; the sort is stable, so "later" is still dict order.
        let mut map = Map::new();
        for (k, v) in entries {
            map.insert(k, v);
        }
        return map;
    }
    entries.into_iter().collect()
}

/// An int (or a subclass) as a JSON number: i64, then u64, then (beyond 64 bits) the
/// float the engine's JSON parser reads such a literal as.
fn int(obj: &Bound<'_, PyAny>) -> Result<Value, ConvertError> {
    if let Ok(i) = obj.extract::<i64>() {
        return Ok(Value::from(i));
    }
    if let Ok(u) = obj.extract::<u64>() {
        return Ok(Value::from(u));
    }
    obj.extract::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map(Value::Number)
        .ok_or_else(|| ConvertError::new("is an int too large for a JSON number"))
}

fn items<'py>(iter: impl Iterator<Item = Bound<'py, PyAny>>, len: usize, depth: usize) -> Result<Value, ConvertError> {
    if depth >= MAX_DEPTH {
        return Err(too_deep());
    }
    let mut out = Vec::with_capacity(len);
    for (i, item) in iter.enumerate() {
        out.push(to_value(&item, depth + 1).map_err(|e| e.at(Segment::Index(i)))?);
    }
    Ok(Value::Array(out))
}

fn too_deep() -> ConvertError {
    ConvertError::new(format!("nests more than {MAX_DEPTH} levels deep (does a dict or list contain itself?)"))
}

/// Writes plain Python claims as JSON text for the engine's one-pass claims reader, which
/// keeps the registered claims as it reads them and validates the others without building
/// them (the full claims map is built from the text only if a policy asks for it).
///
/// Plain means: built-in `dict` (with `str` keys), `list`, `str`, `int` within 64 bits,
/// finite `float`, `bool` and `None`, nested at most `max_depth` containers deep, the text
/// at most `max_bytes` long. Anything else (a subclass, a tuple, a lone surrogate, ...)
/// gives `None`, and the caller converts the value as before: that path gives the error or
/// the value. Exact built-in dicts cannot hold two keys with the same text, so the text
/// has no duplicate keys; within the limits, the engine reads exactly the value
/// [`to_value`] would build (`tests/test_fast_paths.py` checks this).
fn plain_json(obj: &Bound<'_, PyAny>, max_depth: usize, max_bytes: usize) -> Option<String> {
    let mut out = Vec::with_capacity(512);
    write_plain(obj, 0, max_depth, &mut out)?;
    if out.len() > max_bytes {
        return None;
    }
    String::from_utf8(out).ok()
}

fn write_plain(obj: &Bound<'_, PyAny>, depth: usize, max_depth: usize, out: &mut Vec<u8>) -> Option<()> {
    if let Ok(s) = obj.cast_exact::<PyString>() {
        return write_str(s, out);
    }
    if let Ok(d) = obj.cast_exact::<PyDict>() {
        if depth >= max_depth {
            return None;
        }
        out.push(b'{');
        for (i, (k, v)) in d.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(k.cast_exact::<PyString>().ok()?, out)?;
            out.push(b':');
            write_plain(&v, depth + 1, max_depth, out)?;
        }
        out.push(b'}');
        return Some(());
    }
    if obj.is_exact_instance_of::<PyInt>() {
        // Beyond i64: the general path (u64, or the float the parser would read).
        let i = obj.extract::<i64>().ok()?;
        return write!(out, "{i}").ok();
    }
    if let Ok(list) = obj.cast_exact::<PyList>() {
        if depth >= max_depth {
            return None;
        }
        out.push(b'[');
        for (i, item) in list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_plain(&item, depth + 1, max_depth, out)?;
        }
        out.push(b']');
        return Some(());
    }
    if obj.is_none() {
        out.extend_from_slice(b"null");
        return Some(());
    }
    if let Ok(b) = obj.cast_exact::<PyBool>() {
        out.extend_from_slice(if b.is_true() { b"true" } else { b"false" });
        return Some(());
    }
    if let Ok(f) = obj.cast_exact::<PyFloat>() {
        // The text serde_json writes for this number, which it reads back as the same f64.
        let number = serde_json::Number::from_f64(f.value())?;
        return write!(out, "{number}").ok();
    }
    None
}

/// Whether `bytes` hold a `"`, a `\\` or a control character (below 0x20), eight bytes
/// at a time: for each test, a byte of `w` matches exactly when the subtraction borrows
/// into its top bit while that bit of the byte itself is clear (no false negatives; a
/// false positive would only take the byte-by-byte escaping loop, which is always right).
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const TOPS: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & TOPS != 0;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let Ok(eight) = <[u8; 8]>::try_from(chunk) else {
            return true;
        };
        let w = u64::from_le_bytes(eight);
        let control = w.wrapping_sub(ONES * 0x20) & !w & TOPS != 0;
        if control || has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\'))) {
            return true;
        }
    }
    chunks.remainder().iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20)
}

/// A str as a JSON string literal: its UTF-8 with `"`, `\\` and control characters escaped.
fn write_str(s: &Bound<'_, PyString>, out: &mut Vec<u8>) -> Option<()> {
    let bytes = s.encode_utf8().ok()?;
    let bytes = bytes.as_bytes();
    out.push(b'"');
    if !needs_escape(bytes) {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return Some(());
    }
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x00..=0x1f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(if b >= 0x10 { b'1' } else { b'0' });
                out.push(HEX.get(usize::from(b & 0x0f)).copied().unwrap_or(b'0'));
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
    Some(())
}

/// A claims, resource or context argument: JSON text (`str`/`bytes`) or a converted value.
#[derive(Clone)]
enum Doc<'a> {
    Text(Cow<'a, str>),
    Value(Value),
}

impl Doc<'_> {
    /// The same document, owning its text (to outlive the Python object it came from).
    fn into_owned(self) -> Doc<'static> {
        match self {
            Doc::Text(t) => Doc::Text(Cow::Owned(t.into_owned())),
            Doc::Value(v) => Doc::Value(v),
        }
    }

    fn into_text(self) -> String {
        match self {
            Doc::Text(t) => t.into_owned(),
            Doc::Value(v) => v.to_string(),
        }
    }
}

fn doc<'a>(obj: &'a Bound<'_, PyAny>, input: Input) -> PyResult<Doc<'a>> {
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|c| Doc::Text(Cow::Owned(c.into_owned())))
            .map_err(|_| input.error(format!("invalid {}: the JSON text cannot be encoded as UTF-8", input.root())));
    }
    if let Ok(b) = obj.cast::<PyBytes>() {
        return std::str::from_utf8(b.as_bytes())
            .map(|s| Doc::Text(Cow::Borrowed(s)))
            .map_err(|e| input.error(format!("invalid {}: the JSON bytes are not UTF-8 ({e})", input.root())));
    }
    to_value(obj, 0).map(Doc::Value).map_err(|e| e.into_pyerr(input, input.root()))
}

fn session_from(doc: Doc<'_>) -> PyResult<Session> {
    let parsed = match doc {
        Doc::Text(t) => Session::from_claims_json(&t),
        Doc::Value(v) => Session::from_claims(v),
    };
    parsed.map_err(|e| ClaimsError::new_err(e.to_string()))
}

fn resource_from(doc: Doc<'_>) -> Result<Resource, ordinance::InputError> {
    match doc {
        Doc::Text(t) => Resource::from_json(&t),
        Doc::Value(v) => Resource::from_value(v),
    }
}

fn context_from(doc: Option<Doc<'_>>) -> Result<Option<Context>, ordinance::InputError> {
    match doc {
        None => Ok(None),
        Some(Doc::Text(t)) => Context::from_json(&t).map(Some),
        Some(Doc::Value(v)) => Context::from_value(v).map(Some),
    }
}

/// The `now` argument: a unix time in seconds as an int, or None for the clock. A bool is
/// an int to Python, but `now=True` is a mistake, not the time 1 (as in `decide_many`,
/// where `"now": true` is an invalid request).
fn now_arg(now: Option<&Bound<'_, PyAny>>) -> PyResult<Option<i64>> {
    match now {
        None => Ok(None),
        Some(n) if n.is_none() => Ok(None),
        Some(n) if n.cast::<PyBool>().is_ok() => {
            Err(PyTypeError::new_err("`now` must be an int (unix time in seconds) or None, not bool"))
        }
        Some(n) => n.extract::<i64>().map(Some),
    }
}

fn request_error(e: ordinance::InputError) -> PyErr {
    RequestError::new_err(e.to_string())
}

// ------------------------------------------------------------------------------------------
// JSON -> Python

fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

fn policy_error(py: Python<'_>, e: &RsPolicyError) -> PyErr {
    let err = PolicyError::new_err(e.to_string());
    let value = err.value(py);
    let set = || -> PyResult<()> {
        let first = e.first();
        value.setattr("line", first.map(|l| l.line))?;
        value.setattr("column", first.map(|l| l.column))?;
        value.setattr("code", first.map(|l| l.code.clone()))?;
        value.setattr("help", first.and_then(|l| l.help.clone()))?;
        value.setattr("message", first.map(|l| l.message.clone()))?;
        let diagnostics = PyList::empty(py);
        for loc in e.diagnostics() {
            let d = PyDict::new(py);
            d.set_item("code", &loc.code)?;
            d.set_item("message", &loc.message)?;
            d.set_item("help", &loc.help)?;
            d.set_item("file", &loc.file)?;
            d.set_item("line", loc.line)?;
            d.set_item("column", loc.column)?;
            d.set_item("span", (loc.span.start, loc.span.end))?;
            d.set_item("related", &loc.related)?;
            diagnostics.append(d)?;
        }
        value.setattr("diagnostics", diagnostics)?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(other) => other,
    }
}

// ------------------------------------------------------------------------------------------
// Classes

/// The answer to one request: `.allowed`, `.reason` (a stable code such as `permit`,
/// `no_matching_rule`, `forbidden:license_required`, `invalid_claims`), `.rule` (the
/// deciding rule id or None), `.missing` (what a deny lacks, as `{"kind", "name"}` dicts)
/// and `.error` (what went wrong, for a deny caused by bad input). Truthy iff allowed.
#[pyclass(module = "ordinance", name = "Decision", frozen)]
struct PyDecision(Decision);

#[pymethods]
impl PyDecision {
    /// Whether the action may go ahead.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed
    }

    /// A stable machine code saying why: `permit`, `no_matching_rule`, `forbidden:<code>`,
    /// `session_expired`, `invalid_claims`, ...
    #[getter]
    fn reason(&self) -> &str {
        self.0.reason.as_str()
    }

    /// The id of the rule that decided (the matching permit or the denying forbid), or None.
    #[getter]
    fn rule(&self) -> Option<&str> {
        self.0.rule.as_ref().map(|r| r.as_str())
    }

    /// For a deny: what would make it an allow, as a list of `{"kind": ..., "name": ...}`.
    #[getter]
    fn missing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        guarded(|| missing_list(py, &self.0))
    }

    /// For a deny caused by bad input or a failing forbid rule: what went wrong; else None.
    #[getter]
    fn error(&self) -> Option<&str> {
        self.0.error.as_deref()
    }

    /// The decision as a dict, identical to the Rust `Decision::to_json()`:
    /// `{"allowed", "reason", "rule", "missing"}` plus `"error"` when there is one.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| to_py(py, &self.0.to_json()))
    }

    fn __bool__(&self) -> bool {
        self.0.allowed
    }

    /// Two decisions are equal when every field is (`to_dict()` is equal); a Decision is
    /// never equal to anything else (compare `to_dict()` with a dict).
    fn __richcmp__(&self, other: &Bound<'_, PyAny>, op: CompareOp, py: Python<'_>) -> Py<PyAny> {
        let Ok(other) = other.cast::<PyDecision>() else {
            return py.NotImplemented();
        };
        let equal = self.0 == other.get().0;
        match op {
            CompareOp::Eq => PyBool::new(py, equal).to_owned().into_any().unbind(),
            CompareOp::Ne => PyBool::new(py, !equal).to_owned().into_any().unbind(),
            _ => py.NotImplemented(),
        }
    }

    /// Consistent with `==`: equal decisions hash alike.
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.0.to_json().to_string().hash(&mut h);
        h.finish()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        guarded(|| {
            let d = &self.0;
            let mut out = format!(
                "Decision(allowed={}, reason={}, rule={}, missing={}",
                if d.allowed { "True" } else { "False" },
                py_repr(py, d.reason.as_str())?,
                py_repr(py, d.rule.as_ref().map(|r| r.as_str()))?,
                missing_list(py, d)?.repr()?,
            );
            if let Some(e) = &d.error {
                out.push_str(&format!(", error={}", py_repr(py, e.as_str())?));
            }
            out.push(')');
            Ok(out)
        })
    }
}

fn missing_list<'py>(py: Python<'py>, d: &Decision) -> PyResult<Bound<'py, PyList>> {
    let list = PyList::empty(py);
    for m in &d.missing {
        let item = PyDict::new(py);
        item.set_item("kind", m.kind.as_str())?;
        item.set_item("name", m.name.as_str())?;
        list.append(item)?;
    }
    Ok(list)
}

/// Verified session claims, parsed and checked once for many decisions: pass it to
/// `decide`, `permitted_actions` or `explain` in place of the claims. Made by
/// `Engine.session(claims)`.
#[pyclass(module = "ordinance", name = "Session", frozen)]
struct PySession(Session);

#[pymethods]
impl PySession {
    /// The user id (`sub`), or None for an anonymous session.
    #[getter]
    fn user_id(&self) -> Option<&str> {
        self.0.user_id()
    }

    /// The active organization's id, or None.
    #[getter]
    fn org_id(&self) -> Option<&str> {
        self.0.org_id()
    }

    /// The role in the active organization, or None.
    #[getter]
    fn org_role(&self) -> Option<&str> {
        self.0.org_role()
    }

    /// The permissions the token grants in the active organization.
    #[getter]
    fn org_permissions(&self) -> Vec<String> {
        self.0.org_permissions().to_vec()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Session(user_id={}, org_id={}, org_role={})",
            py_repr(py, self.0.user_id())?,
            py_repr(py, self.0.org_id())?,
            py_repr(py, self.0.org_role())?,
        ))
    }
}

/// Python's `repr()` of a value.
fn py_repr<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> PyResult<String> {
    Ok(value.into_bound_py_any(py)?.repr()?.to_string())
}

/// A compiled policy. Thread-safe: build it once and share it; `decide` from many threads
/// at once is fine, and `decide_many` releases the GIL while it works.
///
/// `Engine(policy_text, *, directory=None)` parses, validates and compiles the text;
/// errors raise `PolicyError`. `directory` is an AuthZEN subject directory (a dict, JSON
/// text, or the path of the directory file) for `evaluate` and `evaluations`.
#[pyclass(module = "ordinance", name = "Engine", frozen)]
struct PyEngine {
    engine: Engine,
}

/// The claims argument: a prepared `Session`, or a document to parse.
enum Claims<'a> {
    Prepared(&'a Session),
    Doc(Doc<'a>),
}

fn claims_arg<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Claims<'a>> {
    if let Ok(s) = obj.cast::<PySession>() {
        return Ok(Claims::Prepared(&s.get().0));
    }
    doc(obj, Input::Claims).map(Claims::Doc)
}

/// A session borrowed from a `Session` argument, or parsed from claims.
fn session_arg<'a>(obj: &'a Bound<'_, PyAny>) -> PyResult<Cow<'a, Session>> {
    match claims_arg(obj)? {
        Claims::Prepared(s) => Ok(Cow::Borrowed(s)),
        Claims::Doc(d) => session_from(d).map(Cow::Owned),
    }
}

fn context_doc<'a>(context: Option<&'a Bound<'_, PyAny>>) -> PyResult<Option<Doc<'a>>> {
    context.map(|c| doc(c, Input::Context)).transpose()
}

impl PyEngine {
    /// `decide` for the usual call: claims and resource plain built-in dicts, no context.
    /// The claims go to the engine as JSON text (see [`plain_json`]) and the resource is
    /// read straight into a [`Resource`] (see [`resource_from_dict`]). `None` when the
    /// input is not plain or the engine finds it unusable: the general path then gives the
    /// decision (or the error), exactly as it always has.
    fn decide_plain(
        &self,
        claims: &Bound<'_, PyAny>,
        action: &str,
        resource: &Bound<'_, PyAny>,
        now: Option<i64>,
    ) -> PyResult<Option<Decision>> {
        let (Ok(_), Ok(resource)) = (claims.cast_exact::<PyDict>(), resource.cast_exact::<PyDict>()) else {
            return Ok(None);
        };
        let limits = self.engine.limits();
        let Some(text) = plain_json(claims, limits.max_json_depth, limits.max_claims_bytes) else {
            return Ok(None);
        };
        // Conversion errors in the resource are raised by the general path, after the claims.
        let Ok(ResourceSlot::Parsed(Some(resource))) =
            resource_from_dict(resource, 0, limits.max_json_depth, limits.max_request_bytes, None)
        else {
            return Ok(None);
        };
        let Ok(session) = Session::from_claims_json_with_limits(&text, limits) else {
            return Ok(None);
        };
        Ok(Some(self.engine.decide_with(&session, action, &resource, &Options { now, context: None })))
    }

    /// The session, resource and options for `permitted_actions` and `explain`, which
    /// return no decision that could carry an input error: bad input raises `ClaimsError`
    /// or `RequestError`, checked in the engine's order (claims, resource, context).
    fn inputs<'a>(
        claims: &'a Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<i64>,
    ) -> PyResult<(Cow<'a, Session>, Resource, Options)> {
        let session = session_arg(claims)?;
        let resource = resource_from(doc(resource, Input::Resource)?).map_err(request_error)?;
        let context = context_from(context_doc(context)?).map_err(request_error)?;
        Ok((session, resource, Options { now, context }))
    }
}

#[pymethods]
impl PyEngine {
    #[new]
    #[pyo3(signature = (policy_text, *, directory=None))]
    fn new(py: Python<'_>, policy_text: &str, directory: Option<&Bound<'_, PyAny>>) -> PyResult<PyEngine> {
        guarded(|| {
            let engine = Engine::from_policy_text(policy_text).map_err(|e| policy_error(py, &e))?;
            with_directory(engine, directory)
        })
    }

    /// Reads, parses, validates and compiles a policy file. Errors and rule ids name the
    /// file, exactly as `ordinance check` does. `directory` is an AuthZEN subject directory
    /// (a dict, JSON text, or the path of the directory file) for `evaluate` and
    /// `evaluations`.
    #[staticmethod]
    #[pyo3(signature = (path, *, directory=None))]
    fn from_file(py: Python<'_>, path: std::path::PathBuf, directory: Option<&Bound<'_, PyAny>>) -> PyResult<PyEngine> {
        guarded(|| {
            let policy = ordinance::Policy::from_file(&path).map_err(|e| policy_error(py, &e))?;
            with_directory(Engine::new(policy), directory)
        })
    }

    /// Parses and checks claims once, for many decisions. Raises `ClaimsError` if they
    /// cannot be used.
    fn session(&self, claims: &Bound<'_, PyAny>) -> PyResult<PySession> {
        guarded(|| session_from(doc(claims, Input::Claims)?).map(PySession))
    }

    /// Decides `action` on `resource` for `claims` (a dict, JSON str/bytes, or a Session).
    /// Input the engine cannot use (invalid claims, a resource without `type`, ...) is a
    /// deny with reason `invalid_claims` / `invalid_resource` / `invalid_context` and the
    /// problem in `.error`, as in Rust; only Python values with no JSON form raise.
    #[pyo3(signature = (claims, action, resource, *, context=None, now=None))]
    fn decide(
        &self,
        claims: &Bound<'_, PyAny>,
        action: &str,
        resource: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyDecision> {
        guarded(|| {
            let now = now_arg(now)?;
            if context.is_none() {
                if let Some(decision) = self.decide_plain(claims, action, resource, now)? {
                    return Ok(PyDecision(decision));
                }
            }
            let decision = match claims_arg(claims)? {
                Claims::Doc(claims) => {
                    let resource = doc(resource, Input::Resource)?;
                    let context = context_doc(context)?;
                    decide_docs(&self.engine, claims, action, resource, context, now)
                }
                Claims::Prepared(session) => {
                    let built = resource_from(doc(resource, Input::Resource)?);
                    let context_built = context_from(context_doc(context)?);
                    match (built, context_built) {
                        (Ok(resource), Ok(context)) => {
                            self.engine.decide_with(session, action, &resource, &Options { now, context })
                        }
                        // The engine has no decide for a prepared session and an unparsed
                        // resource, so for its deny on unusable input replay the request
                        // with empty (always valid) claims: the engine then reports the
                        // resource or context error exactly as for any valid claims.
                        _ => decide_docs(
                            &self.engine,
                            Doc::Value(Value::Object(Map::new())),
                            action,
                            doc(resource, Input::Resource)?,
                            context_doc(context)?,
                            now,
                        ),
                    }
                }
            };
            Ok(PyDecision(decision))
        })
    }

    /// Decides many requests at once, releasing the GIL while deciding. `requests` is a
    /// list (or any iterable) of dicts `{"claims", "action", "resource", "context"?,
    /// "now"?}` (the line format of `ordinance decide --requests`); claims, resource and
    /// context take the forms `decide` takes (a Session, a dict, JSON text), with the same
    /// answers. A malformed request is a deny with reason `invalid_request`. Returns one
    /// Decision per request, in order.
    /// Requests that share one claims object (the same dict, or a Session) share one parse
    /// of the claims; requests that share one resource dict share its conversion.
    fn decide_many<'py>(&self, py: Python<'py>, requests: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyList>> {
        guarded(|| {
            // A snapshot: other threads may change the list while the GIL is released.
            let not_requests = || {
                RequestError::new_err(format!(
                    "invalid request: `requests` must be a list (or another iterable) of dicts, found a `{}`",
                    type_name(requests)
                ))
            };
            let requests: Vec<Bound<'_, PyAny>> = if let Ok(list) = requests.cast::<PyList>() {
                list.iter().collect()
            } else if let Ok(tuple) = requests.cast::<PyTuple>() {
                tuple.iter().collect()
            } else if requests.cast::<PyString>().is_ok()
                || requests.cast::<PyBytes>().is_ok()
                || requests.cast::<PyByteArray>().is_ok()
                || requests.cast::<PyMapping>().is_ok()
            {
                // Iterable, but as characters, bytes or keys: surely a mistake.
                return Err(not_requests());
            } else {
                // Any other iterable (a generator, an iterator, a deque): taken as a list.
                let iter = requests.try_iter().map_err(|_| not_requests())?;
                iter.collect::<PyResult<Vec<_>>>()?
            };
            // In chunks, so that the converted requests and parsed sessions of one chunk
            // stay in cache; claims are shared by identity within a chunk.
            let engine = &self.engine;
            let mut decisions: Vec<Option<Decision>> = Vec::with_capacity(requests.len());
            for chunk in requests.chunks(CHUNK) {
                let mut shared = Shared::new(engine);
                let mut keep = Keep::new();
                let mut plans = Vec::with_capacity(chunk.len());
                for (j, r) in chunk.iter().enumerate() {
                    plans.push(plan_request(r, decisions.len() + j, &mut shared, &mut keep)?);
                }
                let shared = &mut shared;
                let decided = py.detach(move || guarded(|| Ok(decide_planned(engine, shared, plans))))?;
                drop(keep);
                decisions.extend(decided);
            }
            // Requests off the fast path: those holding JSON text (claims, resource or
            // context as str/bytes) are decided as `decide` decides them; the others
            // (unusual shape, unusable input) the engine judges whole, as `decide_request`
            // does for a line of `--requests`.
            let mut rest = Vec::new();
            // The Sessions of text requests, held here (not in `rest`) so that none is
            // dropped while the GIL is released.
            let mut sessions: Vec<Py<PySession>> = Vec::new();
            for (i, (request, decision)) in requests.iter().zip(&decisions).enumerate() {
                if decision.is_none() {
                    match text_request(request, i, &mut sessions)? {
                        Some(text) => rest.push((i, Judge::Text(text))),
                        None => rest.push((i, Judge::Whole(request_value(request, i)?))),
                    }
                }
            }
            if !rest.is_empty() {
                let sessions = &sessions;
                let judged = py.detach(move || {
                    guarded(|| {
                        Ok(rest
                            .into_iter()
                            .map(|(i, judge)| {
                                let d = match judge {
                                    Judge::Whole(v) => Some(engine.decide_request(v)),
                                    Judge::Text(t) => t.decide(engine, sessions),
                                };
                                (i, d)
                            })
                            .collect::<Vec<_>>())
                    })
                })?;
                for (i, d) in judged {
                    if let Some(slot) = decisions.get_mut(i) {
                        *slot = d;
                    }
                }
            }
            // Thousands of new objects would each count towards a garbage collection of
            // every tracked object (the requests too), none of which can be garbage here.
            let _paused = GcPause::new(py, decisions.len());
            let objects = decisions
                .into_iter()
                .map(|d| match d {
                    Some(d) => Bound::new(py, PyDecision(d)),
                    None => Err(OrdinanceInternalError::new_err("internal error: a request was not decided")),
                })
                .collect::<PyResult<Vec<_>>>()?;
            PyList::new(py, objects)
        })
    }

    /// Every action declared on the resource's type that the session may take, in
    /// declaration order. Unusable claims raise `ClaimsError`; an unusable resource or
    /// context raises `RequestError`.
    #[pyo3(signature = (claims, resource, *, context=None, now=None))]
    fn permitted_actions(
        &self,
        claims: &Bound<'_, PyAny>,
        resource: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<String>> {
        guarded(|| {
            let now = now_arg(now)?;
            let (session, resource, opts) = PyEngine::inputs(claims, resource, context, now)?;
            Ok(self.engine.permitted_actions(&session, &resource, &opts))
        })
    }

    /// The decision with its full trace (every rule considered, the value of each
    /// condition), as the text `ordinance explain` prints. Slower than `decide`; for
    /// debugging. Unusable input raises `ClaimsError` or `RequestError`.
    #[pyo3(signature = (claims, action, resource, *, context=None, now=None))]
    fn explain(
        &self,
        claims: &Bound<'_, PyAny>,
        action: &str,
        resource: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<String> {
        guarded(|| {
            let now = now_arg(now)?;
            let (session, resource, opts) = PyEngine::inputs(claims, resource, context, now)?;
            Ok(self.engine.explain(&session, action, &resource, &opts).to_string())
        })
    }

    /// As `explain`, as a dict: `{"decision": {...}, "rules": [{"id", "effect",
    /// "outcome", "steps"}]}` (the JSON of `ordinance explain --json`).
    #[pyo3(signature = (claims, action, resource, *, context=None, now=None))]
    fn explain_json<'py>(
        &self,
        py: Python<'py>,
        claims: &Bound<'_, PyAny>,
        action: &str,
        resource: &Bound<'_, PyAny>,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| {
            let now = now_arg(now)?;
            let (session, resource, opts) = PyEngine::inputs(claims, resource, context, now)?;
            let why = self.engine.explain(&session, action, &resource, &opts);
            let value = serde_json::to_value(&why).map_err(|e| OrdinanceInternalError::new_err(e.to_string()))?;
            to_py(py, &value)
        })
    }

    /// Answers an AuthZEN Access Evaluation request (`POST /access/v1/evaluation`):
    /// `{"decision": True}` or `{"decision": False, "context": {...}}`. `now` is a unix
    /// time in seconds (default: the clock). A malformed request (HTTP 400) raises
    /// `RequestError`.
    #[pyo3(signature = (request, *, now=None))]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| {
            let now = now_arg(now)?;
            let request = to_value(request, 0).map_err(|e| e.into_pyerr(Input::Request, "request"))?;
            let answer = match now {
                Some(now) => self.engine.evaluate_at(&request, now),
                None => self.engine.evaluate(&request),
            };
            to_py(py, &answer.map_err(request_error)?)
        })
    }

    /// Answers an AuthZEN Access Evaluations (batch) request (`POST
    /// /access/v1/evaluations`): `{"evaluations": [decision, ...]}`, honouring
    /// `options.evaluations_semantic`. A malformed request raises `RequestError`.
    #[pyo3(signature = (request, *, now=None))]
    fn evaluations<'py>(
        &self,
        py: Python<'py>,
        request: &Bound<'_, PyAny>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| {
            let now = now_arg(now)?;
            let request = to_value(request, 0).map_err(|e| e.into_pyerr(Input::Request, "request"))?;
            let answer = match now {
                Some(now) => self.engine.evaluations_at(&request, now),
                None => self.engine.evaluations(&request),
            };
            to_py(py, &answer.map_err(request_error)?)
        })
    }

    /// Which resources of `resource_type` the session may take `action` on, as a Filter
    /// (a condition over the resource's attributes, renderable as SQL). Unusable claims
    /// raise `ClaimsError`; an unknown type or action, or an unusable context, raises
    /// `RequestError` (with `.code` for filter errors).
    #[pyo3(signature = (claims, action, resource_type, *, context=None, now=None))]
    fn filter(
        &self,
        claims: &Bound<'_, PyAny>,
        action: &str,
        resource_type: &str,
        context: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyFilter> {
        guarded(|| {
            let now = now_arg(now)?;
            let session = session_arg(claims)?;
            let context = context_from(context_doc(context)?).map_err(request_error)?;
            let opts = Options { now, context };
            self.engine
                .filter(&session, action, resource_type, &opts)
                .map(PyFilter)
                .map_err(|e| filter_error(claims.py(), &e))
        })
    }

    fn __repr__(&self) -> String {
        format!("Engine(policy={:?}, rules={})", self.engine.policy().file_name(), self.engine.policy().rule_count())
    }
}

/// Adds an AuthZEN subject directory to an engine: a dict, JSON text, or the directory
/// file's path (see [`directory_path`]).
fn with_directory(engine: Engine, directory: Option<&Bound<'_, PyAny>>) -> PyResult<PyEngine> {
    let Some(directory) = directory.filter(|d| !d.is_none()) else {
        return Ok(PyEngine { engine });
    };
    if let Some(path) = directory_path(directory)? {
        let shown = path.display();
        let text = std::fs::read_to_string(&path)
            .map_err(|e| RequestError::new_err(format!("invalid directory: cannot read `{shown}`: {e}")))?;
        let parsed = Directory::from_json(&text).map_err(|e| RequestError::new_err(format!("`{shown}`: {e}")))?;
        return Ok(PyEngine { engine: engine.with_directory(parsed) });
    }
    let parsed = match doc(directory, Input::Directory)? {
        Doc::Text(t) => Directory::from_json(&t),
        Doc::Value(v) => Directory::from_value(v),
    };
    Ok(PyEngine { engine: engine.with_directory(parsed.map_err(request_error)?) })
}

/// The path of a directory file, when `directory` names one: an `os.PathLike`, or a `str`
/// that is not JSON text and names an existing file. (A directory document is a JSON
/// object, so its text starts with `{`: no JSON text is ever read as a path, and a `str`
/// that names no file is parsed as JSON text, as before, for its error.)
fn directory_path(directory: &Bound<'_, PyAny>) -> PyResult<Option<std::path::PathBuf>> {
    if let Ok(s) = directory.cast::<PyString>() {
        let Ok(text) = s.to_cow() else { return Ok(None) };
        let path = std::path::Path::new(&*text);
        return Ok((!text.trim_start().starts_with('{') && path.is_file()).then(|| path.to_path_buf()));
    }
    if directory.cast::<PyBytes>().is_ok() || !directory.hasattr("__fspath__")? {
        return Ok(None);
    }
    directory.extract::<std::path::PathBuf>().map(Some)
}

fn filter_error(py: Python<'_>, e: &FilterError) -> PyErr {
    let err = RequestError::new_err(e.to_string());
    let value = err.value(py);
    let set = || -> PyResult<()> {
        value.setattr("code", e.code())?;
        value.setattr("rule", e.rule())?;
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(other) => other,
    }
}

/// The residual of a policy for one session, action and resource type: which resources the
/// session may act on. `.kind` is `always` (every valid resource), `never` (none; `.reason`
/// says why) or `condition`. Made by `Engine.filter`.
#[pyclass(module = "ordinance", name = "Filter", frozen)]
struct PyFilter(Filter);

#[pymethods]
impl PyFilter {
    /// `always`, `never` or `condition`.
    #[getter]
    fn kind(&self) -> &str {
        self.0.kind()
    }

    /// For `never`: the reason code every decision would give; otherwise None.
    #[getter]
    fn reason(&self) -> Option<&str> {
        self.0.reason()
    }

    /// The resource type filtered.
    #[getter]
    fn resource_type(&self) -> &str {
        self.0.resource_type()
    }

    /// The action filtered for.
    #[getter]
    fn action(&self) -> &str {
        self.0.action()
    }

    /// The residual as data: `{"kind", "resource_type", "action", "required",
    /// "condition"?, "reason"?}` (the Rust `Filter::to_json()`).
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        guarded(|| to_py(py, &self.0.to_json()))
    }

    /// A PostgreSQL WHERE fragment and its bind parameters, as `(sql, params)`, e.g.
    /// `('"owner_id" IS NOT NULL AND "owner_id" = $1::text', ['org_1'])`. `columns` maps
    /// attribute names to column names (`t.owner` renders as `"t"."owner"`); parameters
    /// are numbered from `first_param` (1 to 65535). Raises `RequestError` (`.code` `not_expressible`,
    /// `too_complex` or `invalid_option`).
    #[pyo3(signature = (columns=None, *, first_param=1))]
    fn to_sql<'py>(
        &self,
        py: Python<'py>,
        columns: Option<HashMap<String, String>>,
        first_param: usize,
    ) -> PyResult<(String, Bound<'py, PyAny>)> {
        guarded(|| {
            let opts = SqlOptions { columns: columns.unwrap_or_default(), first_param };
            let sql = self.0.to_sql(&opts).map_err(|e| filter_error(py, &e))?;
            let params = to_py(py, &Value::Array(sql.params))?;
            Ok((sql.sql, params))
        })
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Filter(kind={}, resource_type={}, action={})",
            py_repr(py, self.0.kind())?,
            py_repr(py, self.0.resource_type())?,
            py_repr(py, self.0.action())?
        ))
    }
}

// ------------------------------------------------------------------------------------------
// decide_many: requests that share a claims object share one parse of the claims.

/// Requests converted and decided per release of the GIL in `decide_many`.
const CHUNK: usize = 256;

/// A claims object seen in a chunk of `decide_many`.
enum Slot {
    /// Plain claims as JSON text (see [`plain_json`]), not parsed yet.
    Text(String),
    /// Converted, not parsed yet.
    Claims(Value),
    /// Parsed; `None` if the claims are unusable.
    Parsed(Option<Box<Session>>),
    Prepared(Py<PySession>),
}

/// A resource object seen in a chunk of `decide_many`.
enum ResourceSlot {
    /// Converted, not parsed yet.
    Value(Value),
    /// Parsed; `None` if the resource is unusable.
    Parsed(Option<Resource>),
}

/// What the requests of one chunk of `decide_many` share, by object identity: claims,
/// resources and action names that several requests hold as the same Python object are
/// converted (and parsed) once. The objects themselves are held in a `Keep` beside it.
struct Shared {
    /// Claims object address -> index in `slots`.
    claims: HashMap<usize, usize>,
    slots: Vec<Slot>,
    /// Resource object address -> index in `resources`.
    resource_index: HashMap<usize, usize>,
    resources: Vec<ResourceSlot>,
    /// Action str address -> index in `actions` (a handful: searched in order).
    action_index: Vec<(usize, usize)>,
    actions: Vec<String>,
    /// The engine's nesting limit for JSON input.
    max_depth: usize,
    /// The engine's size limit for claims as JSON text.
    max_claims_bytes: usize,
    /// The engine's size limit for a resource or context as JSON text.
    max_request_bytes: usize,
    /// The resource dicts' keys.
    keys: KeyCache,
}

/// The text of the str objects used as keys in a chunk's resource dicts, by identity: rows
/// built by one piece of code share their key objects (`"type"`, `"owner_id"`, ...), so
/// each is encoded once. A handful, searched in order; the objects are held in the `Keep`.
#[derive(Default)]
struct KeyCache {
    entries: Vec<(usize, String)>,
}

impl KeyCache {
    fn get<'py>(&mut self, key: &Bound<'py, PyString>, keep: &mut Keep<'py>) -> Result<String, ConvertError> {
        let address = key.as_ptr() as usize;
        if let Some((_, text)) = self.entries.iter().find(|(a, _)| *a == address) {
            return Ok(text.clone());
        }
        let text = py_str(key)?;
        if self.entries.len() < 16 {
            self.entries.push((address, text.clone()));
            keep.push(key.clone().into_any());
        }
        Ok(text)
    }
}

/// Holds every object a [`Shared`] indexes by address, so that no address can be reused
/// while the index is in use.
type Keep<'py> = Vec<Bound<'py, PyAny>>;

impl Shared {
    fn new(engine: &Engine) -> Shared {
        Shared {
            claims: HashMap::new(),
            slots: Vec::new(),
            resource_index: HashMap::new(),
            resources: Vec::new(),
            action_index: Vec::new(),
            actions: Vec::new(),
            max_depth: engine.limits().max_json_depth,
            max_claims_bytes: engine.limits().max_claims_bytes,
            max_request_bytes: engine.limits().max_request_bytes,
            keys: KeyCache::default(),
        }
    }

    fn claims<'py>(&mut self, keep: &mut Keep<'py>, claims: &Bound<'py, PyAny>, i: usize) -> PyResult<usize> {
        let address = claims.as_ptr() as usize;
        if let Some(&k) = self.claims.get(&address) {
            return Ok(k);
        }
        let slot = match claims.cast::<PySession>() {
            Ok(session) => Slot::Prepared(session.clone().unbind()),
            Err(_) => match plain_json(claims, self.max_depth, self.max_claims_bytes) {
                Some(text) => Slot::Text(text),
                None => Slot::Claims(to_value(claims, 1).map_err(|e| request_convert_error(e, i, "claims"))?),
            },
        };
        let k = self.slots.len();
        self.slots.push(slot);
        keep.push(claims.clone());
        self.claims.insert(address, k);
        Ok(k)
    }

    fn resource<'py>(&mut self, keep: &mut Keep<'py>, resource: &Bound<'py, PyAny>, i: usize) -> PyResult<usize> {
        let address = resource.as_ptr() as usize;
        if let Some(&k) = self.resource_index.get(&address) {
            return Ok(k);
        }
        let slot = match resource.cast_exact::<PyDict>() {
            Ok(dict) => {
                resource_from_dict(dict, 1, self.max_depth, self.max_request_bytes, Some((&mut self.keys, keep)))
                    .map_err(|e| request_convert_error(e, i, "resource"))?
            }
            Err(_) => ResourceSlot::Value(to_value(resource, 1).map_err(|e| request_convert_error(e, i, "resource"))?),
        };
        let k = self.resources.len();
        self.resources.push(slot);
        keep.push(resource.clone());
        self.resource_index.insert(address, k);
        Ok(k)
    }

    /// The index of an action name, or `None` if it is not a str with a UTF-8 form.
    fn action<'py>(&mut self, keep: &mut Keep<'py>, action: &Bound<'py, PyString>) -> Option<usize> {
        let address = action.as_ptr() as usize;
        if let Some(&(_, k)) = self.action_index.iter().find(|(a, _)| *a == address) {
            return Some(k);
        }
        let text = action.to_cow().ok()?.into_owned();
        let k = match self.actions.iter().position(|a| *a == text) {
            Some(k) => k,
            None => {
                self.actions.push(text);
                self.actions.len() - 1
            }
        };
        if self.action_index.len() < 64 {
            self.action_index.push((address, k));
            keep.push(action.clone().into_any());
        }
        Some(k)
    }
}

/// A resource dict read straight into a [`Resource`] when it is plainly valid: str keys
/// (no str subclasses, so no two keys with the same text), a non-empty `type` string, an
/// `id` string or None, attribute values within the engine's nesting limit. Anything else
/// is left as a JSON value for [`Resource::from_value`], which gives its usual error.
///
/// `depth` counts the containers around the dict, as for [`to_value`].
///
/// `keys`, when given, converts the keys (see [`KeyCache`]).
fn resource_from_dict<'py>(
    dict: &Bound<'py, PyDict>,
    depth: usize,
    max_depth: usize,
    max_bytes: usize,
    mut keys: Option<(&mut KeyCache, &mut Keep<'py>)>,
) -> Result<ResourceSlot, ConvertError> {
    let mut type_name = None;
    let mut id = None;
    let mut attrs = Vec::with_capacity(dict.len());
    let mut plain = true;
    for (k, v) in dict.iter() {
        let Ok(key) = k.cast_exact::<PyString>() else {
            plain = false;
            break;
        };
        let key = match keys.as_mut() {
            Some((cache, keep)) => cache.get(key, keep)?,
            None => py_str(key)?,
        };
        match to_value(&v, depth + 1) {
            Ok(value) => match (key.as_str(), value) {
                ("type", Value::String(t)) if !t.is_empty() => type_name = Some(t),
                ("id", Value::String(i)) => id = Some(i),
                ("id", Value::Null) => {}
                ("type" | "id", value) => {
                    plain = false;
                    attrs.push((key, value));
                }
                (_, value) => {
                    plain = plain && fits_depth(&value, 1, max_depth);
                    attrs.push((key, value));
                }
            },
            Err(e) => return Err(e.at(Segment::Key(key))),
        }
    }
    // A resource that might be over the size limit is judged by the engine, which measures
    // a value as its compact JSON text (`Resource::from_value`); this bound is never below
    // that length, so every resource read here is one the engine accepts.
    let bound = attrs.iter().fold(
        json_bound_str(type_name.as_deref().unwrap_or_default()) + id.as_deref().map_or(0, json_bound_str) + 20,
        |n, (k, v)| n.saturating_add(json_bound_str(k)).saturating_add(json_bound(v)).saturating_add(2),
    );
    plain = plain && bound <= max_bytes;
    if let (true, Some(type_name)) = (plain, type_name) {
        let mut resource = Resource::new(type_name);
        if let Some(id) = id {
            resource = resource.with_id(id);
        }
        for (k, v) in attrs {
            resource = resource.with_attr(k, v);
        }
        return Ok(ResourceSlot::Parsed(Some(resource)));
    }
    // Not plain: the whole dict as JSON, for the engine to judge.
    to_value(dict.as_any(), depth).map(ResourceSlot::Value)
}

/// At least the length of a JSON string's compact text: each byte escaped to at most six.
fn json_bound_str(s: &str) -> usize {
    s.len().saturating_mul(6).saturating_add(2)
}

/// At least the length of `v`'s compact JSON text (as `serde_json::to_string` writes it).
fn json_bound(v: &Value) -> usize {
    match v {
        Value::Null | Value::Bool(_) => 5,
        Value::Number(_) => 24,
        Value::String(s) => json_bound_str(s),
        Value::Array(items) => items.iter().fold(2usize, |n, i| n.saturating_add(json_bound(i)).saturating_add(1)),
        Value::Object(map) => map.iter().fold(2usize, |n, (k, i)| {
            n.saturating_add(json_bound_str(k)).saturating_add(json_bound(i)).saturating_add(2)
        }),
    }
}

/// Whether a value at `depth` (containers around it) stays within `max` nested containers,
/// counted as the engine counts them.
fn fits_depth(v: &Value, depth: usize, max: usize) -> bool {
    match v {
        Value::Array(items) => depth < max && items.iter().all(|i| fits_depth(i, depth + 1, max)),
        Value::Object(map) => depth < max && map.values().all(|i| fits_depth(i, depth + 1, max)),
        _ => true,
    }
}

fn request_convert_error(e: ConvertError, i: usize, key: &str) -> PyErr {
    e.at(Segment::Key(key.into())).into_pyerr(Input::Request, &format!("requests[{i}]"))
}

/// A request in the plain shape, ready for the fast path.
struct Planned {
    claims: usize,
    action: usize,
    resource: usize,
    context: Option<Value>,
    now: Option<i64>,
}

/// The fields of a request `{"claims", "action", "resource", "context"?, "now"?}` (a
/// `context` or `now` given as None included).
struct RequestFields<'py> {
    claims: Bound<'py, PyAny>,
    action: Bound<'py, PyAny>,
    resource: Bound<'py, PyAny>,
    context: Option<Bound<'py, PyAny>>,
    now: Option<Bound<'py, PyAny>>,
}

/// The fields of a request dict, or `None` when it is not a dict, lacks one of the three
/// required keys or has another key.
fn request_fields<'py>(request: &Bound<'py, PyAny>) -> PyResult<Option<RequestFields<'py>>> {
    let Ok(dict) = request.cast::<PyDict>() else {
        return Ok(None);
    };
    let py = dict.py();
    let (Some(claims), Some(action), Some(resource)) = (
        dict.get_item(intern!(py, "claims"))?,
        dict.get_item(intern!(py, "action"))?,
        dict.get_item(intern!(py, "resource"))?,
    ) else {
        return Ok(None);
    };
    let context = dict.get_item(intern!(py, "context"))?;
    let now = dict.get_item(intern!(py, "now"))?;
    if dict.len() != 3 + usize::from(context.is_some()) + usize::from(now.is_some()) {
        return Ok(None); // an unknown key
    }
    Ok(Some(RequestFields { claims, action, resource, context, now }))
}

/// Splits a request dict for the fast path, or `None` when it is not plainly shaped
/// (claims a dict or Session; action a str; resource; context and now absent or None, or
/// now an int; no other keys): the engine then judges the whole request. Python values
/// with no JSON form raise, as they do on the slow path.
fn plan_request<'py>(
    request: &Bound<'py, PyAny>,
    i: usize,
    shared: &mut Shared,
    keep: &mut Keep<'py>,
) -> PyResult<Option<Planned>> {
    let Some(RequestFields { claims, action, resource, context, now }) = request_fields(request)? else {
        return Ok(None);
    };
    if claims.cast::<PyDict>().is_err() && claims.cast::<PySession>().is_err() {
        return Ok(None);
    }
    // JSON text is read as `decide` reads it (see `text_request`).
    if is_text(&resource) || context.as_ref().is_some_and(is_text) {
        return Ok(None);
    }
    let Ok(action) = action.cast::<PyString>() else {
        return Ok(None);
    };
    let now = match now {
        None => None,
        Some(n) if n.is_none() => None,
        Some(n) if n.cast::<PyInt>().is_ok() && n.cast::<PyBool>().is_err() => match n.extract::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return Ok(None),
        },
        Some(_) => return Ok(None),
    };
    let Some(action) = shared.action(keep, action) else {
        return Ok(None);
    };
    let claims = shared.claims(keep, &claims, i)?;
    let resource = shared.resource(keep, &resource, i)?;
    let context = match context {
        Some(c) if !c.is_none() => Some(to_value(&c, 1).map_err(|e| request_convert_error(e, i, "context"))?),
        _ => None,
    };
    Ok(Some(Planned { claims, action, resource, context, now }))
}

/// Decides the planned requests; `None` for every request the fast path cannot decide
/// exactly as `Engine::decide_request` would (unusable claims, resource or context).
fn decide_planned(engine: &Engine, shared: &mut Shared, plans: Vec<Option<Planned>>) -> Vec<Option<Decision>> {
    let limits = engine.limits();
    for slot in shared.slots.iter_mut() {
        match slot {
            Slot::Text(text) => {
                *slot = Slot::Parsed(Session::from_claims_json_with_limits(text, limits).ok().map(Box::new));
            }
            Slot::Claims(v) => {
                let claims = std::mem::take(v);
                *slot = Slot::Parsed(Session::from_claims(claims).ok().map(Box::new));
            }
            Slot::Parsed(_) | Slot::Prepared(_) => {}
        }
    }
    for slot in shared.resources.iter_mut() {
        if let ResourceSlot::Value(v) = slot {
            let resource = std::mem::take(v);
            *slot = ResourceSlot::Parsed(Resource::from_value(resource).ok());
        }
    }
    let parsed: Vec<Option<&Session>> = shared
        .slots
        .iter()
        .map(|slot| match slot {
            Slot::Text(_) | Slot::Claims(_) => None,
            Slot::Parsed(s) => s.as_deref(),
            Slot::Prepared(s) => Some(&s.get().0),
        })
        .collect();
    let resources = &shared.resources;
    let actions = &shared.actions;
    plans
        .into_iter()
        .map(|plan| {
            let p = plan?;
            let session = (*parsed.get(p.claims)?)?;
            let resource = match resources.get(p.resource)? {
                ResourceSlot::Parsed(r) => r.as_ref()?,
                ResourceSlot::Value(_) => return None,
            };
            let action = actions.get(p.action)?;
            let context = match p.context {
                None => None,
                Some(v) => Some(Context::from_value(v).ok()?),
            };
            let opts = Options { now: p.now, context };
            Some(engine.decide_with(session, action, resource, &opts))
        })
        .collect()
}

/// How `decide_many` decides a request off its fast path.
enum Judge {
    /// The whole request as JSON, for `Engine::decide_request`.
    Whole(Value),
    /// A well-shaped request holding JSON text, decided as `decide` would.
    Text(TextRequest),
}

/// The claims of a [`TextRequest`].
enum TextClaims {
    Doc(Doc<'static>),
    /// An index into the Sessions `decide_many` holds.
    Prepared(usize),
}

/// A request `{"claims", "action", "resource", "context"?, "now"?}` whose claims, resource
/// or context is JSON text (`str`/`bytes`), as `decide` reads them.
struct TextRequest {
    claims: TextClaims,
    action: String,
    resource: Doc<'static>,
    context: Option<Doc<'static>>,
    now: Option<i64>,
}

impl TextRequest {
    /// The decision `Engine.decide` gives for the same arguments.
    /// `None` only if the Session index is out of range (a bug: decide_many then raises
    /// OrdinanceInternalError).
    fn decide(self, engine: &Engine, sessions: &[Py<PySession>]) -> Option<Decision> {
        let TextRequest { claims, action, resource, context, now } = self;
        match claims {
            TextClaims::Doc(claims) => Some(decide_docs(engine, claims, &action, resource, context, now)),
            TextClaims::Prepared(k) => {
                let session = sessions.get(k)?;
                let built = resource_from(resource.clone());
                let context_built = context_from(context.clone());
                Some(match (built, context_built) {
                    (Ok(r), Ok(c)) => engine.decide_with(&session.get().0, &action, &r, &Options { now, context: c }),
                    // As in `decide`: the engine's deny for the unusable resource or context.
                    _ => decide_docs(engine, Doc::Value(Value::Object(Map::new())), &action, resource, context, now),
                })
            }
        }
    }
}

fn is_text(obj: &Bound<'_, PyAny>) -> bool {
    obj.cast::<PyString>().is_ok() || obj.cast::<PyBytes>().is_ok()
}

/// A request of the plain shape with JSON text in it, or `None` (the engine then judges the
/// request whole). Values with no JSON form raise, naming the request.
fn text_request(
    request: &Bound<'_, PyAny>,
    i: usize,
    sessions: &mut Vec<Py<PySession>>,
) -> PyResult<Option<TextRequest>> {
    let Some(RequestFields { claims, action, resource, context, now }) = request_fields(request)? else {
        return Ok(None);
    };
    let context = context.filter(|c| !c.is_none());
    if !(is_text(&claims) || is_text(&resource) || context.as_ref().is_some_and(is_text)) {
        return Ok(None);
    }
    let Ok(action) = action.cast::<PyString>() else {
        return Ok(None);
    };
    let Ok(action) = action.to_cow() else {
        return Ok(None);
    };
    let now = match now {
        None => None,
        Some(n) if n.is_none() => None,
        Some(n) if n.cast::<PyBool>().is_ok() => return Ok(None),
        Some(n) => match n.extract::<i64>() {
            Ok(n) => Some(n),
            Err(_) => return Ok(None),
        },
    };
    let field = |obj: &Bound<'_, PyAny>, input: Input, key: &str| -> PyResult<Doc<'static>> {
        if is_text(obj) {
            // Text that is not UTF-8 (bytes, or a str with a lone surrogate): a RequestError
            // naming the request, as for any other value decide_many cannot read.
            return doc(obj, input).map(Doc::into_owned).map_err(|_| {
                RequestError::new_err(format!(
                    "invalid request: `requests[{i}].{key}` is JSON text that is not valid UTF-8"
                ))
            });
        }
        // Depth counted from the field, as `decide` counts it from its argument.
        to_value(obj, 0).map(Doc::Value).map_err(|e| request_convert_error(e, i, key))
    };
    let claims = match claims.cast::<PySession>() {
        Ok(session) => {
            sessions.push(session.clone().unbind());
            TextClaims::Prepared(sessions.len() - 1)
        }
        Err(_) => TextClaims::Doc(field(&claims, Input::Claims, "claims")?),
    };
    Ok(Some(TextRequest {
        claims,
        action: action.into_owned(),
        resource: field(&resource, Input::Resource, "resource")?,
        context: context.map(|c| field(&c, Input::Context, "context")).transpose()?,
        now,
    }))
}

/// One engine call for claims, resource and context in any mix of forms: all values go
/// to `decide_value`, all text to `decide_json`; a mix is turned into text (a Python
/// dict has no duplicate keys, so the strict parser accepts exactly what it holds).
fn decide_docs(
    engine: &Engine,
    claims: Doc<'_>,
    action: &str,
    resource: Doc<'_>,
    context: Option<Doc<'_>>,
    now: Option<i64>,
) -> Decision {
    match (claims, resource, context) {
        (Doc::Value(c), Doc::Value(r), None) => engine.decide_value(c, action, r, None, now),
        (Doc::Value(c), Doc::Value(r), Some(Doc::Value(x))) => engine.decide_value(c, action, r, Some(x), now),
        (c, r, x) => {
            let x = x.map(Doc::into_text);
            engine.decide_json(&c.into_text(), action, &r.into_text(), x.as_deref(), now)
        }
    }
}

/// A whole request as JSON, for the engine to judge. A Session given as claims stands in
/// as `{}` (always valid claims): the request is here because of its shape, resource or
/// context, which the engine then reports exactly as for any valid claims.
fn request_value(request: &Bound<'_, PyAny>, i: usize) -> PyResult<Value> {
    let root = format!("requests[{i}]");
    let fail = |e: ConvertError| e.into_pyerr(Input::Request, &root);
    let Ok(dict) = request.cast::<PyDict>() else {
        return to_value(request, 0).map_err(fail);
    };
    let mut map = Map::new();
    for (k, v) in dict.iter() {
        let Ok(key) = k.cast::<PyString>() else {
            return Err(fail(ConvertError::new(format!(
                "has a key of type `{}`; JSON object keys must be str",
                type_name(&k)
            ))));
        };
        let key = py_str(key).map_err(fail)?;
        let value = if key == "claims" && v.cast::<PySession>().is_ok() {
            Value::Object(Map::new())
        } else {
            to_value(&v, 1).map_err(|e| fail(e.at(Segment::Key(key.clone()))))?
        };
        map.insert(key, value);
    }
    Ok(Value::Object(map))
}

/// Pauses Python's cyclic garbage collector while `decide_many` creates its Decision
/// objects (if it is enabled and there are many), enabling it again when dropped: creating
/// 10,000 objects otherwise triggers a dozen collections, some of them full ones that visit
/// every object in the process. Nothing else runs in between (the GIL is held throughout),
/// and the next allocation after it is enabled again collects as usual.
struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>, objects: usize) -> GcPause<'py> {
        let pause = || -> PyResult<Option<Bound<'py, PyModule>>> {
            if objects < 1000 {
                return Ok(None);
            }
            let gc = py.import("gc")?;
            if !gc.call_method0("isenabled")?.is_truthy()? {
                return Ok(None);
            }
            gc.call_method0("disable")?;
            Ok(Some(gc))
        };
        // Only an optimisation: if the gc module misbehaves, go on without it.
        GcPause { gc: pause().unwrap_or(None) }
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            // `gc.enable()` cannot fail; an error here would have nowhere to go.
            let _ = gc.call_method0("enable");
        }
    }
}

/// Deliberately panics inside the engine. Only for the test proving a panic becomes
/// `OrdinanceInternalError` and never crosses into Python.
#[pyfunction]
fn _panic_for_tests() -> PyResult<()> {
    guarded(|| ordinance::testing::panic_for_tests("called from Python"))
}

/// The JSON text `decide` and `decide_many` hand to the engine for these claims (with the
/// default limits), or `None` when they take the converted-value path instead. Only for the
/// tests proving which route plain claims take and that the text holds exactly the claims.
#[pyfunction]
fn _claims_text_for_tests(claims: &Bound<'_, PyAny>) -> PyResult<Option<String>> {
    let limits = ordinance::Limits::default();
    // Both routes start from a claims dict: `decide_plain` and `decide_many`'s planning
    // send nothing else this way.
    guarded(|| {
        Ok(claims
            .cast_exact::<PyDict>()
            .ok()
            .and_then(|_| plain_json(claims, limits.max_json_depth, limits.max_claims_bytes)))
    })
}

/// ordinance: an embeddable authorization policy engine for session-token claims.
#[pymodule(name = "_ordinance")]
fn ordinance_py(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<PyEngine>()?;
    m.add_class::<PySession>()?;
    m.add_class::<PyDecision>()?;
    m.add_class::<PyFilter>()?;
    m.add_function(wrap_pyfunction!(_panic_for_tests, m)?)?;
    m.add_function(wrap_pyfunction!(_claims_text_for_tests, m)?)?;
    m.add("OrdinanceError", py.get_type::<OrdinanceError>())?;
    let policy_error = py.get_type::<PolicyError>();
    // Set on every instance the engine raises; None (and no diagnostics) on one made by hand.
    for attr in ["line", "column", "code", "help", "message"] {
        policy_error.setattr(attr, py.None())?;
    }
    policy_error.setattr("diagnostics", PyList::empty(py))?;
    m.add("PolicyError", policy_error)?;
    m.add("ClaimsError", py.get_type::<ClaimsError>())?;
    let request_error = py.get_type::<RequestError>();
    // Set on instances from filters; None on every other RequestError.
    request_error.setattr("code", py.None())?;
    request_error.setattr("rule", py.None())?;
    m.add("RequestError", request_error)?;
    m.add("OrdinanceInternalError", py.get_type::<OrdinanceInternalError>())?;
    m.add("MAX_DEPTH", MAX_DEPTH)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
