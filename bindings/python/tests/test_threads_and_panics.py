"""Concurrency (one Engine, many threads; decide_many releases the GIL) and panic safety."""

import json
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import ordinance
from conftest import NOW, POLICIES


def expected_cases():
    """(claims, action, resource, expected to_dict-subset) from team_tasks.test.json."""
    doc = json.loads((POLICIES / "team_tasks.test.json").read_text())
    cases = []
    for case in doc["cases"]:
        claims = case["session"]
        claims = doc["sessions"][claims] if isinstance(claims, str) else claims
        resource = case["resource"]
        resource = doc["resources"][resource] if isinstance(resource, str) else resource
        want = {k: case[k] for k in ("allowed", "reason", "rule", "missing") if k in case}
        cases.append((claims, case["action"], resource, case.get("now", doc["now"]), want))
    return cases


def test_many_threads_one_engine(engine):
    cases = expected_cases()
    sessions = {}

    def work(worker):
        wrong = []
        for i in range(1500):
            claims, action, resource, now, want = cases[(worker * 7 + i) % len(cases)]
            if i % 3 == 1 and isinstance(claims, dict):
                key = id(claims)
                try:
                    claims = sessions.setdefault(key, engine.session(claims))
                except ordinance.ClaimsError:
                    pass
            got = engine.decide(claims, action, resource, now=now).to_dict()
            if {k: got.get(k) for k in want} != want:
                wrong.append((worker, i, want, got))
        return wrong

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(work, range(8)))
    assert all(r == [] for r in results), [r[:2] for r in results if r]


def test_decide_many_from_many_threads(engine):
    cases = expected_cases()
    requests = [{"claims": c, "action": a, "resource": r, "now": n} for c, a, r, n, _ in cases] * 20
    wants = [w for *_, w in cases] * 20

    def work(_):
        got = engine.decide_many(requests)
        return all({k: d.to_dict().get(k) for k in w} == w for d, w in zip(got, wants))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, range(8)))


def count_other_thread_steps(call):
    """How often another Python thread ran while `call()` ran. The switch interval is made
    long (5 s, far longer than `call`), so the other thread can only run if `call` releases
    the GIL itself."""
    counter = [0]
    stop = threading.Event()

    def spin():
        while not stop.is_set():
            counter[0] += 1
            time.sleep(0)  # releases the GIL, so the main thread gets it back at once

    old = sys.getswitchinterval()
    t = threading.Thread(target=spin)
    t.start()
    try:
        while counter[0] < 10:  # the spinner is running
            time.sleep(0.001)
        sys.setswitchinterval(5.0)
        before = counter[0]
        call()
        after = counter[0]
    finally:
        sys.setswitchinterval(old)
        stop.set()
        t.join()
    return after - before


def test_decide_many_releases_the_gil(engine, bob):
    requests = [{"claims": bob, "action": "edit",
                 "resource": {"type": "task", "owner_id": "org_team", "created_by_id": f"user_{i % 9}"},
                 "now": NOW} for i in range(20000)]
    # control: a loop of decide calls never releases the GIL, so the other thread is stuck
    assert count_other_thread_steps(
        lambda: [engine.decide(r["claims"], r["action"], r["resource"], now=NOW) for r in requests[:2000]]
    ) == 0
    assert count_other_thread_steps(lambda: engine.decide_many(requests)) > 0


def test_panic_becomes_an_exception(engine, bob):
    with pytest.raises(ordinance.OrdinanceInternalError) as info:
        ordinance._panic_for_tests()
    assert isinstance(info.value, ordinance.OrdinanceError)
    assert "deliberate panic for tests: called from Python" in str(info.value)
    assert "please report it" in str(info.value)
    # The interpreter and the engine keep working, repeatedly.
    for _ in range(3):
        with pytest.raises(ordinance.OrdinanceInternalError):
            ordinance._panic_for_tests()
        assert engine.decide(bob, "view", {"type": "task", "owner_id": "org_team",
                                           "created_by_id": "x"}, now=NOW).allowed


def test_panic_does_not_abort_the_process():
    code = (
        "import ordinance\n"
        "try:\n"
        "    ordinance._panic_for_tests()\n"
        "except ordinance.OrdinanceInternalError as e:\n"
        "    print('caught:', e)\n"
        "e = ordinance.Engine('resource doc {}\\naction read on doc\\npermit read on doc')\n"
        "print('after:', e.decide({}, 'read', {'type': 'doc'}).allowed)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={"RUST_BACKTRACE": "0", "PATH": ""})
    assert out.returncode == 0, out.stderr
    assert "caught: internal error in ordinance" in out.stdout
    assert "after: True" in out.stdout
