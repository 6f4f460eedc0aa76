"""ordinance: an embeddable authorization policy engine for session-token claims.

Write roles, permissions, organization memberships, seat licenses and ownership rules
once, in a small policy language; ordinance compiles them and answers
``decide(claims, action, resource)`` from the *verified* claims of a session token, with
the reason for every decision and what a deny is missing.

ordinance authorizes; it does not authenticate. Verify the token's signature first.

>>> import ordinance
>>> engine = ordinance.Engine('''
...     resource doc { owner: string }
...     action read on doc
...     permit read on doc when resource.owner == user.id
... ''')
>>> engine.decide({"sub": "u1"}, "read", {"type": "doc", "owner": "u1"}, now=0).allowed
True

The module is a thin layer over the Rust engine (``ordinance._ordinance``): the same
decisions, byte for byte, as the Rust crate, the CLI and the WebAssembly package.
"""

from ordinance._ordinance import (
    ClaimsError,
    Decision,
    Engine,
    Filter,
    OrdinanceError,
    OrdinanceInternalError,
    PolicyError,
    RequestError,
    Session,
    _claims_text_for_tests,
    _panic_for_tests,
    __version__,
)

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
