"""Type stubs for ordinance, an embeddable authorization policy engine for session-token claims."""

import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from typing_extensions import TypeAlias

JSONValue: TypeAlias = Union[
    None, bool, int, float, str, List["JSONValue"], Tuple["JSONValue", ...], Mapping[str, "JSONValue"]
]
"""A Python value with a JSON form: dict (str keys), list, tuple, str, int, float, bool, None."""

JSONDocument: TypeAlias = Union[Mapping[str, JSONValue], str, bytes]
"""A JSON object given as a dict, or as JSON text (str or UTF-8 bytes)."""

Claims: TypeAlias = Union["Session", JSONDocument]
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
    """1-based line of the first problem (0 if the problem has no position, e.g. a missing file)."""
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
    """A resource, context or request cannot be used: not JSON, the wrong shape, or a
    Python value with no JSON form."""

class OrdinanceInternalError(OrdinanceError):
    """A bug in ordinance: the engine panicked. The panic was caught; the interpreter and
    the engine remain usable. Please report it."""

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

class Engine:
    """A compiled policy. Thread-safe: build it once and share it."""

    def __init__(self, policy_text: str) -> None:
        """Parses, validates and compiles policy text. Raises PolicyError."""
    @staticmethod
    def from_file(path: Union[str, "os.PathLike[str]"]) -> "Engine":
        """Reads, parses, validates and compiles a policy file. Raises PolicyError, whose
        message names the file exactly as ``ordinance check`` does."""
    def session(self, claims: JSONDocument) -> Session:
        """Parses and checks claims once, for many decisions. Raises ClaimsError."""
    def decide(
        self,
        claims: Claims,
        action: str,
        resource: JSONDocument,
        *,
        context: Optional[JSONDocument] = None,
        now: Optional[int] = None,
    ) -> Decision:
        """Decides ``action`` on ``resource`` for ``claims``. ``now`` is a unix time in
        seconds (default: the clock). Input the engine cannot use is a deny with reason
        ``invalid_claims``, ``invalid_resource`` or ``invalid_context``; only Python values
        with no JSON form raise ClaimsError or RequestError."""
    def decide_many(self, requests: Sequence[Mapping[str, Any]]) -> List[Decision]:
        """Decides many requests ``{"claims", "action", "resource", "context"?, "now"?}``,
        releasing the GIL while deciding. A malformed request is a deny with reason
        ``invalid_request``. Requests sharing one claims object share one parse."""
    def permitted_actions(
        self,
        claims: Claims,
        resource: JSONDocument,
        *,
        context: Optional[JSONDocument] = None,
        now: Optional[int] = None,
    ) -> List[str]:
        """Every action declared on the resource's type that is allowed, in declaration
        order. Raises ClaimsError or RequestError on unusable input."""
    def explain(
        self,
        claims: Claims,
        action: str,
        resource: JSONDocument,
        *,
        context: Optional[JSONDocument] = None,
        now: Optional[int] = None,
    ) -> str:
        """The decision with its full trace, as ``ordinance explain`` prints it. Raises
        ClaimsError or RequestError on unusable input."""
    def explain_json(
        self,
        claims: Claims,
        action: str,
        resource: JSONDocument,
        *,
        context: Optional[JSONDocument] = None,
        now: Optional[int] = None,
    ) -> Dict[str, Any]:
        """As ``explain``, as a dict (the JSON of ``ordinance explain --json``)."""

def _panic_for_tests() -> None:
    """Deliberately panics inside the engine (tests only); raises OrdinanceInternalError."""

__all__: List[str]
