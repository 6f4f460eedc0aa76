"""Type stubs for ordinance, an embeddable authorization policy engine for session-token claims."""

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from typing_extensions import TypeAlias, final

__version__: str
"""The package version (the Rust crates' version)."""

_JSONValue: TypeAlias = Union[
    None, bool, int, float, str, List["_JSONValue"], Tuple["_JSONValue", ...], Mapping[str, "_JSONValue"]
]
"""A Python value with a JSON form: dict (str keys), list, tuple, str, int, float, bool, None."""

_JSONDocument: TypeAlias = Union[Mapping[str, _JSONValue], str, bytes]
"""A JSON object given as a dict, or as JSON text (str or UTF-8 bytes)."""

_Claims: TypeAlias = Union["Session", _JSONDocument]
"""Verified session-token claims: a prepared Session, a dict, or JSON text."""

class OrdinanceError(Exception):
    """Base class of every exception raised by ordinance."""

class PolicyError(OrdinanceError):
    """The policy text is invalid.

    ``str(err)`` is the report ``ordinance check`` prints (file:line:col, the source line
    with a caret, a help line). The attributes describe the first problem;
    ``diagnostics`` lists every problem.
    """

    line: int
    """1-based line of the first problem (0 if the problem has no position, e.g. a missing file).
    The attributes are None (``diagnostics`` empty) on a PolicyError made by hand."""
    column: int
    """1-based column, in characters, of the first problem."""
    code: str
    """A short stable category: ``syntax``, ``lex``, ``unknown-type``, ``type-mismatch``, ..."""
    help: Optional[str]
    """A one-line hint to fix the first problem."""
    message: str
    """The first problem in one line, without location."""
    diagnostics: List[Dict[str, Any]]
    """Every problem: dicts with ``code``, ``message``, ``help``, ``file``, ``line``,
    ``column``, ``span`` (byte range ``(start, end)``) and ``related``
    (``(line, column, note)`` or None)."""

class ClaimsError(OrdinanceError):
    """The claims cannot be used: not JSON, not an object, a registered claim of the wrong
    type, or a Python value with no JSON form."""

class RequestError(OrdinanceError):
    """A resource, context, directory, AuthZEN request, filter or SQL option cannot be
    used: not JSON, the wrong shape, or a Python value with no JSON form."""

    code: Optional[str]
    """Only from ``Engine.filter`` and ``Filter.to_sql``: ``unknown_resource_type``,
    ``unknown_action``, ``not_expressible``, ``too_complex`` or ``invalid_option``."""
    rule: Optional[str]
    """Only from ``Engine.filter`` and ``Filter.to_sql``: the rule that cannot be rendered."""

class OrdinanceInternalError(OrdinanceError):
    """A bug in ordinance: the engine panicked. The panic was caught; the interpreter and
    the engine remain usable. Please report it."""

@final
class Decision:
    """The answer to one request. Truthy iff allowed."""

    @property
    def allowed(self) -> bool:
        """Whether the action may go ahead."""
    @property
    def reason(self) -> str:
        """A stable code: ``permit``, ``no_matching_rule``, ``forbidden:<code>``,
        ``forbid_errored``, ``session_expired``, ``session_not_yet_valid``,
        ``invalid_claims``, ``invalid_resource``, ``invalid_context``, ``invalid_request``,
        ``unknown_action`` or ``unknown_resource_type``."""
    @property
    def rule(self) -> Optional[str]:
        """The id of the deciding rule (the matching permit or the denying forbid), or None."""
    @property
    def missing(self) -> List[Dict[str, str]]:
        """For a deny: what would make it an allow, as ``{"kind": ..., "name": ...}`` dicts.
        Kinds: permission, role, license, scope, plan, feature, organization, sign_in,
        verification."""
    @property
    def error(self) -> Optional[str]:
        """For a deny caused by bad input or a failing forbid rule: what went wrong."""
    def to_dict(self) -> Dict[str, Any]:
        """The decision as a dict, identical to the Rust ``Decision::to_json()``:
        ``allowed``, ``reason``, ``rule``, ``missing``, plus ``error`` when there is one."""
    def __bool__(self) -> bool:
        """True iff allowed."""
    def __eq__(self, other: object) -> bool:
        """Equal to another Decision with the same fields (the same ``to_dict()``)."""
    def __hash__(self) -> int:
        """Consistent with ``==``."""

@final
class Session:
    """Verified claims, parsed and checked once for many decisions. Made by
    ``Engine.session(claims)``; pass it in place of claims."""

    @property
    def user_id(self) -> Optional[str]:
        """The user id (``sub``), or None for an anonymous session."""
    @property
    def org_id(self) -> Optional[str]:
        """The active organization's id, or None."""
    @property
    def org_role(self) -> Optional[str]:
        """The role in the active organization, or None."""
    @property
    def org_permissions(self) -> List[str]:
        """The permissions the token grants in the active organization."""

@final
class Filter:
    """Which resources of one type a session may take one action on: a condition over the
    resource's attributes, renderable as a PostgreSQL WHERE fragment. Made by
    ``Engine.filter``."""

    @property
    def kind(self) -> str:
        """``always`` (every valid resource), ``never`` (none; see ``reason``) or ``condition``."""
    @property
    def reason(self) -> Optional[str]:
        """For ``never``: the reason code every decision would give; otherwise None."""
    @property
    def resource_type(self) -> str:
        """The resource type filtered."""
    @property
    def action(self) -> str:
        """The action filtered for."""
    def to_dict(self) -> Dict[str, Any]:
        """The residual as data: ``kind``, ``resource_type``, ``action``, ``required``, and
        ``condition`` or ``reason`` (the Rust ``Filter::to_json()``)."""
    def to_sql(
        self, columns: Optional[Mapping[str, str]] = None, *, first_param: int = 1
    ) -> Tuple[str, List[Any]]:
        """``(sql, params)``: a PostgreSQL WHERE fragment with ``$n`` placeholders numbered
        from ``first_param`` (1 to 65535: PostgreSQL's parameter numbers), and its
        parameters. ``columns`` maps attribute names to column names (``t.owner`` renders
        as ``"t"."owner"``). Raises RequestError (``.code`` ``invalid_option`` for an unknown
        attribute or a ``first_param`` out of range). psycopg: use a ``RawCursor``, which
        takes ``$n`` placeholders."""

_Directory: TypeAlias = Union[Mapping[str, Mapping[str, _JSONValue]], str, bytes, "os.PathLike[str]"]
"""An AuthZEN subject directory: subject id -> attributes, as a dict, JSON text, or the
path of the directory file (an ``os.PathLike``, or a ``str`` that is not JSON text)."""

@final
class Engine:
    """A compiled policy. Thread-safe: build it once and share it."""

    def __new__(cls, policy_text: str, *, directory: Optional[_Directory] = None) -> "Engine":
        """Parses, validates and compiles policy text. Raises PolicyError (RequestError for
        an unusable directory)."""
    @staticmethod
    def from_file(
        path: Union[str, "os.PathLike[str]"], *, directory: Optional[_Directory] = None
    ) -> "Engine":
        """Reads, parses, validates and compiles a policy file. Raises PolicyError, whose
        message names the file exactly as ``ordinance check`` does. ``directory`` is an
        AuthZEN subject directory for ``evaluate`` and ``evaluations``."""
    def session(self, claims: _JSONDocument) -> Session:
        """Parses and checks claims once, for many decisions. Raises ClaimsError."""
    def decide(
        self,
        claims: _Claims,
        action: str,
        resource: _JSONDocument,
        *,
        context: Optional[_JSONDocument] = None,
        now: Optional[int] = None,
    ) -> Decision:
        """Decides ``action`` on ``resource`` for ``claims``. ``now`` is a unix time in
        seconds as an int (default: the clock; a bool raises TypeError). Input the engine cannot use is a deny with reason
        ``invalid_claims``, ``invalid_resource`` or ``invalid_context``; only Python values
        with no JSON form raise ClaimsError or RequestError."""
    def decide_many(self, requests: Iterable[Mapping[str, Any]]) -> List[Decision]:
        """Decides many requests ``{"claims", "action", "resource", "context"?, "now"?}``
        (a list, tuple, generator or any other iterable of them; not a str, bytes or a
        single mapping: those raise RequestError), releasing the GIL while deciding.
        Each request's claims, resource and context take the forms ``decide`` takes (a
        Session, a mapping, or JSON text as str/bytes), with the same answers.
        A malformed request is a deny with reason
        ``invalid_request``. Requests sharing one claims object share one parse; requests
        sharing one resource dict share its conversion."""
    def permitted_actions(
        self,
        claims: _Claims,
        resource: _JSONDocument,
        *,
        context: Optional[_JSONDocument] = None,
        now: Optional[int] = None,
    ) -> List[str]:
        """Every action declared on the resource's type that is allowed, in declaration
        order. Raises ClaimsError or RequestError on unusable input."""
    def explain(
        self,
        claims: _Claims,
        action: str,
        resource: _JSONDocument,
        *,
        context: Optional[_JSONDocument] = None,
        now: Optional[int] = None,
    ) -> str:
        """The decision with its full trace, as ``ordinance explain`` prints it. Raises
        ClaimsError or RequestError on unusable input."""
    def explain_json(
        self,
        claims: _Claims,
        action: str,
        resource: _JSONDocument,
        *,
        context: Optional[_JSONDocument] = None,
        now: Optional[int] = None,
    ) -> Dict[str, Any]:
        """As ``explain``, as a dict (the JSON of ``ordinance explain --json``)."""
    def evaluate(self, request: Mapping[str, Any], *, now: Optional[int] = None) -> Dict[str, Any]:
        """Answers an AuthZEN Access Evaluation request: ``{"decision": True}`` or
        ``{"decision": False, "context": {...}}``. A malformed request raises RequestError."""
    def evaluations(self, request: Mapping[str, Any], *, now: Optional[int] = None) -> Dict[str, Any]:
        """Answers an AuthZEN Access Evaluations (batch) request:
        ``{"evaluations": [...]}``. A malformed request raises RequestError."""
    def filter(
        self,
        claims: _Claims,
        action: str,
        resource_type: str,
        *,
        context: Optional[_JSONDocument] = None,
        now: Optional[int] = None,
    ) -> Filter:
        """The resources of ``resource_type`` the session may take ``action`` on. Raises
        ClaimsError, or RequestError (with ``code``) for an unknown type or action."""

def _panic_for_tests() -> None:
    """Deliberately panics inside the engine (tests only); raises OrdinanceInternalError."""

def _claims_text_for_tests(claims: object) -> Optional[str]:
    """The JSON text ``decide`` hands to the engine for plain claims, or None when the
    claims take the converted-value path (tests only)."""

__all__ = [
    "ClaimsError",
    "Decision",
    "Engine",
    "Filter",
    "OrdinanceError",
    "OrdinanceInternalError",
    "PolicyError",
    "RequestError",
    "Session",
]
