"""Conformance vectors shared by the Rust, Python and JavaScript suites.

`tests/conformance/*.json` (format in tests/conformance/README.md): a vector passes when the decision's JSON, restricted to the
keys of `expected`, is identical to `expected`.
"""

import json

import pytest

import ordinance
from conftest import ROOT

CONFORMANCE = ROOT / "tests" / "conformance"
FILES = sorted(CONFORMANCE.glob("*.json")) if CONFORMANCE.is_dir() else []


def engine_for(path, doc):
    policy = path.parent / doc["policy"]
    directory = doc.get("directory")
    if directory is None:
        return ordinance.Engine.from_file(policy)
    directory_text = (path.parent / directory).read_text()
    return ordinance.Engine.from_file(policy, directory=json.loads(directory_text))


def test_conformance_directory():
    if not CONFORMANCE.is_dir():
        pytest.skip(f"{CONFORMANCE} does not exist yet: no conformance vectors to run")
    assert FILES, f"{CONFORMANCE} holds no *.json vector files"


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(CONFORMANCE)))
def test_vectors(path):
    doc = json.loads(path.read_text())
    engine = engine_for(path, doc)
    assert doc["vectors"], f"{path} has no vectors"
    failures = []
    for v in doc["vectors"]:
        decision = engine.decide(
            v["claims"], v["action"], v["resource"], context=v.get("context"), now=v.get("now")
        ).to_dict()
        got = {k: decision.get(k) for k in v["expected"]}
        if got != v["expected"]:
            failures.append(f"{v['name']}: expected {v['expected']}, got {got}")
    assert not failures, "\n".join(failures)
