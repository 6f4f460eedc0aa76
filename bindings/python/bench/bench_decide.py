"""Benchmark of the Python binding on policies/team_tasks.ord (timeit, medians).

What it measures, per decision, wall-clock, one thread:

- decide from dicts: claims and resource as Python dicts (converted to JSON values in Rust,
  then the engine parses the claims into a session and decides);
- decide from JSON text: claims and resource as `str` (the engine's strict parser);
- decide from a prepared Session: `engine.session(claims)` done once, resource a dict;
- decide_many over 10,000 requests, in three shapes (see WORKLOADS below).

Every workload first checks its decisions (allowed / reason) so the numbers are for the
intended work. Each timing is the median of `--repeat` runs; one run calls the operation
`number` times (decide) or decides the whole batch once (decide_many).

    .venv/bin/python bindings/python/bench/bench_decide.py [--repeat 11] [--json out.json]
"""

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
import timeit
from pathlib import Path

import ordinance

ROOT = Path(__file__).resolve().parents[3]
POLICY = ROOT / "policies" / "team_tasks.ord"
NOW = 1721770150
N_MANY = 10_000

# A licensed org:member of org_team, as Clerk puts it in a v1 session token.
BOB = {
    "azp": "http://localhost:3005",
    "iss": "https://assuring-cod-50.clerk.accounts.dev",
    "iat": 1721770133,
    "nbf": 1721770123,
    "exp": 1721770193,
    "sub": "user_bob",
    "sid": "sess_user_bob",
    "org_id": "org_team",
    "org_slug": "d2-gamers",
    "org_role": "org:member",
    "org_permissions": ["org:tasks:view", "org:tasks:edit"],
    "org_metadata": {"isLicensed": True},
}
OWN_TASK = {"type": "task", "id": "t1", "owner_id": "org_team", "created_by_id": "user_bob"}
OTHERS_TASK = {"type": "task", "id": "t2", "owner_id": "org_team", "created_by_id": "user_alice"}


def median_us(fn, number, repeat):
    """(wall, cpu) medians in µs per call. On a shared machine the process's CPU time is the
    steadier measure of the work; the wall-clock time is what a caller waits."""
    wall = timeit.repeat(fn, number=number, repeat=repeat, timer=time.perf_counter)
    cpu = timeit.repeat(fn, number=number, repeat=repeat, timer=time.process_time)
    return (statistics.median(wall) / number * 1e6, statistics.median(cpu) / number * 1e6)


def cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def single_workloads(engine):
    """(name, callable, expected (allowed, reason)) for one decide call."""
    bob_json = json.dumps(BOB)
    session = engine.session(BOB)
    out = []
    for label, task, want in [
        ("permit", OWN_TASK, (True, "permit")),
        ("deny + missing hint", OTHERS_TASK, (False, "no_matching_rule")),
    ]:
        task_json = json.dumps(task)
        out += [
            (f"decide, dicts ({label})",
             lambda t=task: engine.decide(BOB, "edit", t, now=NOW), want),
            (f"decide, JSON str ({label})",
             lambda t=task_json: engine.decide(bob_json, "edit", t, now=NOW), want),
            (f"decide, prepared Session + dict resource ({label})",
             lambda t=task: engine.decide(session, "edit", t, now=NOW), want),
        ]
    return out


def many_workloads():
    """(name, requests, expected number allowed) for decide_many over N_MANY requests."""
    sessions = json.loads((ROOT / "policies" / "team_tasks.test.json").read_text())["sessions"]
    resources = [
        {"type": "task", "id": f"t{i}", "owner_id": owner, "created_by_id": creator}
        for i, (owner, creator) in enumerate(
            (o, c) for o in ["org_team", "org_other", "user_bob", "user_alice"]
            for c in ["user_alice", "user_bob", "user_charlie"]
        )
    ]
    actions = ["view", "create", "edit", "complete", "delete"]
    claims = list(sessions.values())

    # 1. A realistic mix: the test file's sessions (each one dict, shared by its requests, as
    #    an app holds one claims object per signed-in user), tasks and actions.
    mixed = [
        {"claims": claims[i % len(claims)], "action": actions[i % 5],
         "resource": resources[(i // 5) % len(resources)], "now": NOW}
        for i in range(N_MANY)
    ]
    # 2. One user, one action, 10,000 distinct rows (a list page): half permit, half deny.
    rows = [
        {"claims": BOB, "action": "edit",
         "resource": {"type": "task", "id": f"r{i}", "owner_id": "org_team",
                      "created_by_id": "user_bob" if i % 2 else f"user_{i}"},
         "now": NOW}
        for i in range(N_MANY)
    ]
    # 3. The same list page where every row is the user's own: permits only, no hints.
    own_rows = [dict(r, resource=dict(r["resource"], created_by_id="user_bob")) for r in rows]
    # 4. Worst case: every request carries its own copy of the claims (nothing shared).
    distinct = [dict(r, claims=copy.deepcopy(r["claims"])) for r in mixed]
    return [
        ("decide_many, mixed sessions/tasks/actions (claims dicts shared)", mixed),
        ("decide_many, one user x 10,000 rows (50% permit)", rows),
        ("decide_many, one user x 10,000 rows (all permit)", own_rows),
        ("decide_many, mixed, every request its own claims dict", distinct),
    ]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=11, help="timing runs per workload (median reported)")
    ap.add_argument("--number", type=int, default=20_000, help="decide calls per run")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args()

    engine = ordinance.Engine.from_file(POLICY)
    results = []
    print(f"ordinance Python binding, {POLICY.name}; Python {platform.python_version()}, "
          f"{platform.machine()}, {cpu_model()}, {os.cpu_count()} CPUs")
    print(f"median of {args.repeat} runs; load average {os.getloadavg()[0]:.2f}\n")
    print("| workload | µs per decision, wall | µs per decision, CPU |\n|---|---:|---:|")

    for name, fn, want in single_workloads(engine):
        d = fn()
        assert (d.allowed, d.reason) == want, (name, d)
        wall, cpu = median_us(fn, args.number, args.repeat)
        results.append({"workload": name, "wall_us": round(wall, 3), "cpu_us": round(cpu, 3)})
        print(f"| {name} | {wall:.2f} | {cpu:.2f} |")

    for name, requests in many_workloads():
        decisions = engine.decide_many(requests)
        # the batch answers exactly as one decide per request
        check = range(0, len(requests), 97)
        for i in check:
            r = requests[i]
            assert decisions[i].to_dict() == engine.decide(
                r["claims"], r["action"], r["resource"], now=r["now"]).to_dict(), (name, i)
        allowed = sum(1 for d in decisions if d)
        if "all permit" in name:
            assert allowed == len(requests), (name, allowed)
        else:
            assert 0 < allowed < len(requests), (name, allowed)
        wall, cpu = (t / len(requests) for t in median_us(lambda: engine.decide_many(requests), 1, args.repeat))
        results.append({"workload": name, "wall_us": round(wall, 3), "cpu_us": round(cpu, 3),
                        "requests": len(requests), "allowed": allowed})
        print(f"| {name} ({allowed} of {len(requests)} allowed) | {wall:.2f} | {cpu:.2f} |")

    if args.json:
        Path(args.json).write_text(json.dumps({
            "python": platform.python_version(), "cpu": cpu_model(), "repeat": args.repeat,
            "loadavg": os.getloadavg()[0],
            "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
