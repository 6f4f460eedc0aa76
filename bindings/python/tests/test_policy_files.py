"""Every shipped policy test file (`policies/*.test.json`), run through Python.

The runner mirrors `ordinance test` (cli/src/policy_tests.rs): sessions, resources and
contexts are names in the file's tables or inline objects, `now` defaults to the file's,
and `allowed` (required), `reason`, `rule` and `missing` compare by JSON equality with
the decision. Each case is also decided from JSON text, from a prepared Session and
through decide_many: every form must give the identical decision.
"""

import json
import re
import subprocess

import pytest

import ordinance
from conftest import POLICIES, cli_binary

TEST_FILES = sorted(POLICIES.glob("*.test.json"))


def test_at_least_one_test_file_exists():
    assert TEST_FILES, f"no *.test.json files in {POLICIES}"


def resolve(case, key, table):
    value = case.get(key)
    if isinstance(value, str):
        assert value in table, f"no {key} named `{value}` in the file"
        return table[value]
    return value


def run_file(path):
    """Returns (passed, failures) like `ordinance test` does for one file."""
    doc = json.loads(path.read_text())
    engine = ordinance.Engine.from_file(path.parent / doc["policy"])
    default_now = doc.get("now")
    passed, failures = 0, []
    requests, expected_dicts = [], []
    for i, case in enumerate(doc["cases"]):
        name = case.get("name", f"case {i}")
        claims = resolve(case, "session", doc.get("sessions", {}))
        resource = resolve(case, "resource", doc.get("resources", {}))
        context = resolve(case, "context", doc.get("contexts", {}))
        action = case.get("action", "")
        now = case.get("now", default_now)

        decision = engine.decide(claims, action, resource, context=context, now=now)
        got = decision.to_dict()
        problems = [
            f"{key}: expected {case[key]!r}, got {got.get(key)!r}"
            for key in ("allowed", "reason", "rule", "missing")
            if key in case and got.get(key) != case[key]
        ]
        if "allowed" not in case:
            problems.append('the case has no expected "allowed"')
        if problems:
            failures.append(f"{path.name}: {name}: " + "; ".join(problems))
        else:
            passed += 1

        # The same request in every other input form gives the identical decision.
        assert bool(decision) is got["allowed"]
        as_text = engine.decide(
            json.dumps(claims),
            action,
            json.dumps(resource).encode(),
            context=None if context is None else json.dumps(context),
            now=now,
        )
        assert as_text.to_dict() == got, f"{name}: JSON text differs"
        if isinstance(claims, dict):
            try:
                session = engine.session(claims)
            except ordinance.ClaimsError:
                assert got["reason"] == "invalid_claims", name
            else:
                prepared = engine.decide(session, action, resource, context=context, now=now)
                assert prepared.to_dict() == got, f"{name}: Session differs"
        request = {"claims": claims, "action": action, "resource": resource, "now": now}
        if context is not None:
            request["context"] = context
        requests.append(request)
        expected_dicts.append(got)
    batch = [d.to_dict() for d in engine.decide_many(requests)]
    assert batch == expected_dicts, f"{path.name}: decide_many differs from decide"
    return passed, failures


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_policy_file(path):
    passed, failures = run_file(path)
    assert not failures, "\n".join(failures)
    assert passed > 0


@pytest.mark.parametrize("path", TEST_FILES, ids=lambda p: p.name)
def test_same_verdicts_as_cli(path):
    """Where the CLI is built, `ordinance test FILE` reports the same pass and fail counts."""
    cli = cli_binary()
    if cli is None:
        pytest.skip("the `ordinance` CLI is not built (set ORDINANCE_CLI to compare)")
    out = subprocess.run([cli, "test", str(path)], capture_output=True, text=True)
    m = re.search(r"(\d+) passed, (\d+) failed", out.stdout)
    assert m, out.stdout + out.stderr
    passed, failures = run_file(path)
    assert (passed, len(failures)) == (int(m.group(1)), int(m.group(2)))
