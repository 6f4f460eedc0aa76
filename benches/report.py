#!/usr/bin/env python3
"""Print the benchmark medians and the issue-3 ratios as markdown.

Reads criterion's output (`<criterion dir>/<group>/<id>/new/estimates.json` for the median,
`benchmark.json` next to it for the elements per iteration) of two runs:

* the root bench crate (`cargo bench -p ordinance-benches`): groups decide, floor,
  permitted_actions, scaling_distinct, scaling_same_pair, compile;
* the Cedar crate (`cargo bench --manifest-path benches/cedar/Cargo.toml`): groups floor,
  ordinance, cedar.

The two runs must not share a criterion directory (both have a `floor` group), so give the
Cedar crate its own target directory. Standard library only.

    python3 benches/report.py [--engine DIR] [--cedar DIR]

Defaults: `$CARGO_TARGET_DIR/criterion` (else `target/criterion`) for the root run and
`benches/cedar/target/criterion` for the Cedar run; a missing directory is skipped.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load(criterion_dir: Path) -> dict[str, dict]:
    """Maps `group/id` to {median, lo, hi (per iteration, ns), elements, mtime}."""
    out: dict[str, dict] = {}
    if not criterion_dir.is_dir():
        return out
    for est in sorted(criterion_dir.glob("**/new/estimates.json")):
        bench = est.with_name("benchmark.json")
        if not bench.exists():
            continue
        meta = json.loads(bench.read_text())
        median = json.loads(est.read_text())["median"]
        throughput = meta.get("throughput") or {}
        elements = throughput.get("Elements") or throughput.get("Bytes") or 1
        out[meta["full_id"]] = {
            "median": median["point_estimate"],
            "lo": median["confidence_interval"]["lower_bound"],
            "hi": median["confidence_interval"]["upper_bound"],
            "elements": elements,
            "mtime": est.stat().st_mtime,
        }
    return out


def fmt_ns(ns: float) -> str:
    if ns < 1_000:
        return f"{ns:.3g} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.3g} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.3g} ms"
    return f"{ns / 1_000_000_000:.3g} s"


def per(b: dict) -> float:
    return b["median"] / b["elements"]


def order_key(name: str):
    # Numeric ids sort by value: scaling_distinct/allow/10 before /100.
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in name.split("/"))


def table(title: str, benches: dict[str, dict]) -> list[str]:
    lines = [f"### {title}", "", "| benchmark | median / iteration | elements | median / element | 95% CI / element |",
             "|---|---:|---:|---:|---|"]
    for name in sorted(benches, key=order_key):
        b = benches[name]
        e = b["elements"]
        lines.append(f"| `{name}` | {fmt_ns(b['median'])} | {e} | **{fmt_ns(per(b))}** | "
                     f"{fmt_ns(b['lo'] / e)} – {fmt_ns(b['hi'] / e)} |")
    return lines + [""]


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        load = "?"
    return f"{os.cpu_count()} CPUs, {cpu}, {platform.system()} {platform.release()}, load average now {load}"


def main() -> int:
    default_target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--engine", type=Path, default=default_target / "criterion",
                    help="criterion directory of the root bench run")
    ap.add_argument("--cedar", type=Path, default=ROOT / "benches/cedar/target/criterion",
                    help="criterion directory of the Cedar bench run")
    args = ap.parse_args()

    engine = load(args.engine)
    cedar = load(args.cedar)
    if not engine and not cedar:
        print(f"no criterion results in {args.engine} or {args.cedar}", file=sys.stderr)
        return 1

    out = [f"Machine: {machine()}."]
    for label, runs, path in (("root run", engine, args.engine), ("Cedar run", cedar, args.cedar)):
        if runs:
            newest = max(b["mtime"] for b in runs.values())
            when = datetime.datetime.fromtimestamp(newest).strftime("%Y-%m-%d %H:%M")
            out.append(f"{label}: `{path}`, newest result {when}.")
    out.append("")
    if engine:
        out += table("Root workspace: `cargo bench -p ordinance-benches`", engine)
    if cedar:
        out += table("Cedar crate: `cargo bench --manifest-path benches/cedar/Cargo.toml`", cedar)

    rows: list[tuple[str, str, str, str]] = []

    def ratio(label: str, runs: dict, num: str, den: str, op: str, target: float) -> None:
        if num not in runs or den not in runs:
            return
        r = per(runs[num]) / per(runs[den])
        ok = r <= target if op == "≤" else r >= target
        if ok:
            verdict = "met"
        elif op == "≤":
            verdict = f"**missed** ({r / target:.2g}× over)"
        else:
            verdict = f"**missed** (only {r / target:.2g} of the target)"
        rows.append((label, f"{r:.3g}×", f"{op} {target:g}×", verdict))

    def absolute(label: str, runs: dict, name: str, limit_ns: float) -> None:
        if name not in runs:
            return
        t = per(runs[name])
        verdict = "met" if t <= limit_ns else f"**missed** ({t / limit_ns:.2g}× over)"
        rows.append((label, fmt_ns(t), f"≤ {fmt_ns(limit_ns)}", verdict))

    ratio("decide/prepared ÷ floor/prepared (root run)", engine, "decide/prepared", "floor/prepared", "≤", 3)
    ratio("decide/prepared_ref ÷ floor/prepared (root run; the decision borrowed)", engine, "decide/prepared_ref",
          "floor/prepared", "≤", 3)
    ratio("decide/prepared_action_ref ÷ floor/prepared (root run)", engine, "decide/prepared_action_ref",
          "floor/prepared", "≤", 3)
    ratio("decide/is_allowed ÷ floor/prepared (root run; yes/no, as the floor)", engine, "decide/is_allowed",
          "floor/prepared", "≤", 3)
    ratio("decide/is_allowed_action ÷ floor/prepared (root run)", engine, "decide/is_allowed_action",
          "floor/prepared", "≤", 3)
    ratio("decide/json ÷ floor/json (root run)", engine, "decide/json", "floor/json", "≤", 1.5)
    ratio("ordinance/prepared ÷ floor/prepared (Cedar run)", cedar, "ordinance/prepared", "floor/prepared", "≤", 3)
    ratio("ordinance/prepared_ref ÷ floor/prepared (Cedar run)", cedar, "ordinance/prepared_ref", "floor/prepared",
          "≤", 3)
    ratio("ordinance/is_allowed ÷ floor/prepared (Cedar run)", cedar, "ordinance/is_allowed", "floor/prepared",
          "≤", 3)
    ratio("ordinance/json ÷ floor/json (Cedar run)", cedar, "ordinance/json", "floor/json", "≤", 1.5)
    ratio("cedar/prepared ÷ ordinance/prepared", cedar, "cedar/prepared", "ordinance/prepared", "≥", 100)
    ratio("cedar/json ÷ ordinance/json", cedar, "cedar/json", "ordinance/json", "≥", 15)
    for kind in ("allow", "deny"):
        sizes = [f"scaling_distinct/{kind}/{n}" for n in (10, 100, 1000, 10000)]
        if all(s in engine for s in sizes):
            ratio(f"scaling_distinct/{kind}: 10,000 ÷ 10 rules", engine, sizes[-1], sizes[0], "≤", 1.2)
            times = [per(engine[s]) for s in sizes]
            spread = max(times) / min(times)
            rows.append((f"scaling_distinct/{kind}: slowest ÷ fastest of 10 … 10,000", f"{spread:.3g}×", "≤ 1.2×",
                         "met" if spread <= 1.2 else f"**missed** ({spread / 1.2:.2g}× over)"))
    if "scaling_same_pair/allow/1" in engine and "scaling_same_pair/allow/100" in engine:
        slope = (per(engine["scaling_same_pair/allow/100"]) - per(engine["scaling_same_pair/allow/1"])) / 99
        rows.append(("scaling_same_pair: cost per extra rule on the pair", fmt_ns(slope), "(linear, no target)", "—"))
    absolute("compile/team_tasks", engine, "compile/team_tasks", 50_000)
    absolute("ordinance/compile (Cedar run)", cedar, "ordinance/compile", 50_000)
    absolute("compile/1000", engine, "compile/1000", 10_000_000)
    if "cedar/compile" in cedar and "ordinance/compile" in cedar:
        r = per(cedar["cedar/compile"]) / per(cedar["ordinance/compile"])
        rows.append(("cedar/compile ÷ ordinance/compile", f"{r:.3g}×", "(no target)", "—"))

    if rows:
        out += ["### Ratios and targets", "", "| what | measured | target | |", "|---|---:|---|---|"]
        out += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
        out.append("")
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
