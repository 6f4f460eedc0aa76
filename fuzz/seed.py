#!/usr/bin/env python3
"""Writes seed corpora for the fuzz targets into fuzz/corpus/<target>/ from the shipped
policies (policies/*.ord), their test files (policies/*.test.json) and, when present, the
conformance vectors (tests/conformance/*.json). Safe to re-run: files are content-named."""
import hashlib, json, pathlib, sys

root = pathlib.Path(__file__).resolve().parent.parent
out = root / "fuzz" / "corpus"

def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = out / target
    d.mkdir(parents=True, exist_ok=True)
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)

def cases():
    """(policy text, claims, action, resource, context, now) from tests and vectors."""
    for test in sorted((root / "policies").glob("*.test.json")):
        t = json.loads(test.read_text())
        policy = (test.parent / t["policy"]).read_text()
        for c in t["cases"]:
            def resolve(kind, v):
                return t.get(kind, {}).get(v) if isinstance(v, str) else v
            yield (policy, resolve("sessions", c["session"]), c["action"], resolve("resources", c["resource"]),
                   resolve("contexts", c.get("context")), c.get("now", t.get("now")))
    for vec in sorted((root / "tests" / "conformance").glob("*.json")):
        try:
            v = json.loads(vec.read_text())
            policy = (vec.parent / v["policy"]).read_text()
        except (KeyError, OSError, ValueError):
            continue
        for c in v.get("vectors", []):
            yield (policy, c.get("claims"), c.get("action"), c.get("resource"), c.get("context"), c.get("now"))

n = 0
for ord_file in sorted((root / "policies").glob("*.ord")):
    write("policy_parse", ord_file.read_text())
    n += 1
by_policy = {}
for policy, claims, action, resource, context, now in cases():
    write("claims", b"\x00" + json.dumps(claims).encode())
    write("intake", json.dumps(resource))
    if context is not None:
        write("intake", json.dumps(context))
    req = {"claims": claims, "action": action, "resource": resource, "now": now}
    if context is not None:
        req["context"] = context
    line = json.dumps(req)
    write("intake", line)
    by_policy.setdefault(policy, []).append(line)
    n += 3
for policy, lines in by_policy.items():
    for i in range(0, len(lines), 4):
        write("decide", policy + "\0" + "\n".join(lines[i:i + 4]))
        n += 1
# v2 tokens for the structured claims mode: fea, pla, rol, per, fpm separated by 0xff.
for parts in [[b"o:repositories,uo:projects,u:goldprofileborder", b"u:pro", b"admin", b"read,create,update,delete,revoke", b"7,21"],
              [b"o:x", b"o:pro", b"member", b"a,b", b"3"]]:
    write("claims", b"\x01" + b"\xff".join(parts))
print(f"seeded {n} inputs into {out}", file=sys.stderr)
