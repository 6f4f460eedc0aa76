// Node benchmark of ordinance-wasm's decide, against a hand-written JS function of the same
// Team Task rules (the floor: what a developer would write without a policy engine).
//
//   npm --prefix bindings/wasm run build            # the shipped package (pkg-node)
//   node bindings/wasm/scripts/build.mjs --bench    # optional: pkg-bench, adds the serde path
//   node bindings/wasm/bench/bench.mjs [--quick] [--pkg DIR] [--json FILE|-]
//
// --pkg DIR benchmarks another build (a directory with index.cjs, see bench/sizes.mjs);
// --quick takes fewer samples; --json writes the results (`-`: to stdout, no table).
//
// Method: every benchmark first asserts its decision (a benchmark is also a test), then
// warms up, then takes SAMPLES samples of BATCH calls each; a sample's time / BATCH is one
// per-call time. Reported: median, p10 and p90 of the samples, in nanoseconds per call.
// decide(JS object) reuses a prepared session while the claims' JSON text repeats (the
// engine's claims cache); "a new token each call" defeats that cache.
// Requests: the claims of policies/team_tasks.test.json (full Clerk v1 tokens, ~430 bytes of
// JSON) on an org task; `allow` = the manager edits (permit org_manage), `deny` = the member
// edits another's task (no_matching_rule, with the missing-permission hint computed).
//
// Biases: one request shape repeated, so V8's and the engine's caches are warm; the floor
// checks only what these rules need and builds no hint it has not been told about; it is
// unfair on purpose, as a lower bound.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import os from 'node:os';

const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const option = (name) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const quick = argv.includes('--quick');
const pkg = option('--pkg');
const jsonOut = option('--json');
const { Engine } = require(pkg ? resolve(pkg, 'index.cjs') : 'ordinance-wasm');
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tests = JSON.parse(readFileSync(`${root}policies/team_tasks.test.json`, 'utf8'));
const policyText = readFileSync(`${root}policies/team_tasks.ord`, 'utf8');
const SAMPLES = Number(process.env.SAMPLES || (quick ? 15 : 41));
const BATCH = Number(process.env.BATCH || (quick ? 1000 : 2000));

const NOW = tests.now;
const manager = tests.sessions.alice_manager;
const member = tests.sessions.bob_member;
const orgTask = { type: 'task', id: 't1', owner_id: manager.org_id, created_by_id: 'user_charlie' };

// ---- the floor: the Team Task rules (brief issue 2, item 6) by hand ----------------------
const ROLE_PERMISSIONS = {
  'org:viewer': ['org:tasks:view'],
  'org:member': ['org:tasks:view', 'org:tasks:edit'],
  'org:manager': ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'],
  'org:admin': ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'],
};
const ACTIONS = new Set(['view', 'create', 'edit', 'complete', 'delete']);
const deny = (reason, rule, missing) => ({ allowed: false, reason, rule, missing });
const permit = (rule) => ({ allowed: true, reason: 'permit', rule, missing: [] });

function floorDecide(claims, action, resource, now) {
  if (typeof claims !== 'object' || claims === null) return deny('invalid_claims', null, []);
  if (typeof claims.exp === 'number' && now > claims.exp + 5) return deny('session_expired', null, []);
  if (typeof claims.nbf === 'number' && now + 5 < claims.nbf) return deny('session_not_yet_valid', null, []);
  if (!ACTIONS.has(action)) return deny('unknown_action', null, []);
  const user = claims.sub;
  const org = claims.org_id;
  const permissions = Array.isArray(claims.org_permissions) ? claims.org_permissions : [];
  const rolePermissions = ROLE_PERMISSIONS[claims.org_role] || [];
  const has = (p) => permissions.includes(p) || rolePermissions.includes(p);
  const orgTask = typeof org === 'string' && resource.owner_id === org;
  const licensed = claims.org_metadata?.isLicensed === true;
  if (action !== 'view' && orgTask && !licensed) {
    return deny('forbidden:license_required', 'license_required', [{ kind: 'license', name: 'org.metadata.isLicensed' }]);
  }
  if (typeof user === 'string' && resource.owner_id === user) return permit('personal_task');
  if (orgTask) {
    if (action === 'view') return has('org:tasks:view') ? permit('org_view') : deny('no_matching_rule', null, [{ kind: 'permission', name: 'org:tasks:view' }]);
    if (action === 'create') return has('org:tasks:edit') ? permit('org_create') : deny('no_matching_rule', null, [{ kind: 'permission', name: 'org:tasks:edit' }]);
    if (has('org:tasks:manage')) return permit('org_manage');
    if (has('org:tasks:edit') && resource.created_by_id === user) return permit('org_edit_own');
    return deny('no_matching_rule', null, [{ kind: 'permission', name: 'org:tasks:manage' }]);
  }
  return deny('no_matching_rule', null, []);
}

// ---- measurement ----------------------------------------------------------------------------
function measure(name, fn, expected) {
  const got = fn();
  assert.deepStrictEqual(got, expected, `${name}: wrong result`);
  for (let i = 0; i < BATCH * 5; i++) fn();
  const perCall = [];
  let sink = 0;
  for (let s = 0; s < SAMPLES; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) sink += fn() === null ? 1 : 0;
    perCall.push(Number(process.hrtime.bigint() - t0) / BATCH);
  }
  perCall.sort((a, b) => a - b);
  const q = (p) => perCall[Math.min(perCall.length - 1, Math.floor(p * perCall.length))];
  return { name, median_ns: q(0.5), p10_ns: q(0.1), p90_ns: q(0.9), sink };
}

const engine = Engine.fromPolicy(policyText, { file: 'team_tasks.ord' });
const at = { now: NOW };
const expect = {
  allow: { allowed: true, reason: 'permit', rule: 'org_manage', missing: [] },
  deny: { allowed: false, reason: 'no_matching_rule', rule: null, missing: [{ kind: 'permission', name: 'org:tasks:manage' }] },
};
const requests = { allow: manager, deny: member };
const results = [];
for (const [kind, claims] of Object.entries(requests)) {
  const claimsJson = JSON.stringify(claims);
  const taskJson = JSON.stringify(orgTask);
  const session = engine.session(claims);
  assert.deepStrictEqual(floorDecide(claims, 'edit', orgTask, NOW), expect[kind], 'the floor agrees with the engine');
  results.push(measure(`${kind}: JS floor (hand-written rules)`, () => floorDecide(claims, 'edit', orgTask, NOW), expect[kind]));
  results.push(measure(`${kind}: decide(JS object)`, () => engine.decide(claims, 'edit', orgTask, at), expect[kind]));
  // 64 distinct claims objects in turn, more than the engine's claims cache holds (16):
  // every call validates its claims, as for a new token each time.
  const distinct = Array.from({ length: 64 }, (_, i) => ({ ...claims, sid: `sess_${i}` }));
  let next = 0;
  results.push(measure(`${kind}: decide(JS object), a new token each call`, () => engine.decide(distinct[next++ & 63], 'edit', orgTask, at), expect[kind]));
  results.push(measure(`${kind}: decideJson(JSON strings)`, () => engine.decideJson(claimsJson, 'edit', taskJson, at), expect[kind]));
  results.push(measure(`${kind}: decide(prepared Session)`, () => engine.decide(session, 'edit', orgTask, at), expect[kind]));
  const serdeBuild = fileURLToPath(new URL('../pkg-bench/ordinance_wasm.js', import.meta.url));
  if (!quick && existsSync(serdeBuild)) {
    const raw = require(serdeBuild);
    const rawEngine = new raw.RawEngine(policyText, 'team_tasks.ord');
    const serde = () => rawEngine.decideSerde(claims, 'edit', orgTask, NOW);
    results.push(measure(`${kind}: serde-wasm-bindgen (objects walked from Rust)`, serde, expect[kind]));
  }
  // Parts of the JSON path, for the analysis in docs/performance-wasm.md.
  results.push(measure(`${kind}: JSON.stringify(claims) + JSON.stringify(task) only`, () => JSON.stringify(claims).length + JSON.stringify(orgTask).length, claimsJson.length + taskJson.length));
}
const managerSession = engine.session(manager);
results.push(measure('permittedActions(prepared Session), 5 actions', () => engine.permittedActions(managerSession, orgTask, at).length, 5));
results.push(measure('engine.session(claims) + free()', () => {
  const s = engine.session(manager);
  s.free();
  return 1;
}, 1));

const floor = Object.fromEntries(results.filter((r) => r.name.includes('floor')).map((r) => [r.name.split(':')[0], r.median_ns]));
if (jsonOut === '-') {
  console.log(JSON.stringify({ node: process.version, samples: SAMPLES, batch: BATCH, results }));
  process.exit(0);
}
console.log(`node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} (${os.cpus().length} cores, load ${os.loadavg()[0].toFixed(2)}), ${SAMPLES} samples x ${BATCH} calls\n`);
console.log(`${'benchmark'.padEnd(62)} ${'median'.padStart(10)} ${'p10'.padStart(10)} ${'p90'.padStart(10)}  vs floor`);
for (const r of results) {
  const f = floor[r.name.split(':')[0]];
  const ratio = f ? `${(r.median_ns / f).toFixed(1)}x` : '';
  const us = (ns) => `${(ns / 1000).toFixed(3)} us`;
  console.log(`${r.name.padEnd(62)} ${us(r.median_ns).padStart(10)} ${us(r.p10_ns).padStart(10)} ${us(r.p90_ns).padStart(10)}  ${ratio}`);
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify({ node: process.version, samples: SAMPLES, batch: BATCH, results }, null, 2)}\n`);
