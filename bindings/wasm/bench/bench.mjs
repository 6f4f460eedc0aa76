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
// calibrates a batch (warming up); then SAMPLES samples of one batch each are taken, in
// ROUNDS rounds over all benchmarks; a sample's time / batch is one per-call time. Reported:
// wall-clock median and p10, CPU-time median (see "Fairness" below for the floor).
// decide(JS object) reuses a prepared session and a prepared resource while the objects
// hold the same JSON data (the wrapper's claims and resource caches); "a new token each call"
// and "128 distinct resources" defeat those caches.
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
const pkgDir = pkg ? resolve(pkg) : fileURLToPath(new URL('../pkg-node/', import.meta.url));
const { Engine } = require(pkg ? resolve(pkgDir, 'index.cjs') : 'ordinance-wasm');
// The raw wasm-bindgen layer under the wrapper (the same module instance), to tell the
// wrapper's share from the engine's.
const raw = require(resolve(pkgDir, 'ordinance_wasm.js'));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const tests = JSON.parse(readFileSync(`${root}policies/team_tasks.test.json`, 'utf8'));
const policyText = readFileSync(`${root}policies/team_tasks.ord`, 'utf8');
const SAMPLES = Number(process.env.SAMPLES || (quick ? 15 : 41));

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
// Each sample runs `batch` calls, with `batch` calibrated so a sample takes about 5 ms, and
// records both the wall-clock time and the process's CPU time (user + system) per call. On a
// shared machine the CPU time is the better estimate: it does not count time the process
// spent descheduled. Both medians are reported.
//
// Fairness, so that the floor is a floor and not an artefact:
// - every call's result is stored in a ring (`keep`), so it escapes: V8 cannot drop the
//   allocation of the decision object (escape analysis) or the call (dead code); after the
//   samples, every kept result is checked against the expected decision;
// - every benchmark runs in its own copy of the timing loop (`new Function`, with the
//   benchmark's name in the source so V8 does not share it), so the call site `fn()` only
//   ever sees one function: each benchmark is inlined and optimised on its own, whatever
//   ran before it;
// - the floor and the engine take the same claims, action, resource and `now` values and
//   return decision objects of the same shape (checked with deepStrictEqual).
function loopFor(name) {
  // eslint-disable-next-line no-new-func
  return new Function('fn', 'batch', 'keep', `// ${name.replace(/[\r\n]/g, ' ')}
    for (let i = 0; i < batch; i++) keep[i & 63] = fn();`);
}

// - the samples are taken in ROUNDS rounds over all benchmarks (each round takes a third of
//   every benchmark's samples), so a change of the machine's load while the benchmark runs
//   spreads over all rows instead of skewing one (the floor included).
const ROUNDS = 3;
const benches = [];

// Registers a benchmark: asserts its result, calibrates its batch (which also warms it up).
// The samples are taken by run().
function measure(name, fn, expected) {
  const got = fn();
  assert.deepStrictEqual(got, expected, `${name}: wrong result`);
  const loop = loopFor(name);
  const keep = new Array(64).fill(null);
  let batch = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    loop(fn, batch, keep);
    if (Number(process.hrtime.bigint() - t0) > 5e6 / (quick ? 4 : 1) || batch >= 1 << 24) break;
    batch *= 2;
  }
  const result = { name, batch, median_ns: 0, p10_ns: 0, cpu_median_ns: 0 };
  benches.push({ fn, expected, loop, keep, batch, wall: [], cpu: [], result });
  return result;
}

function run() {
  const perRound = Math.max(1, Math.ceil(SAMPLES / ROUNDS));
  for (let round = 0; round < ROUNDS; round++) {
    for (const b of benches) {
      for (let s = 0; s < perRound; s++) {
        const c0 = process.cpuUsage();
        const t0 = process.hrtime.bigint();
        b.loop(b.fn, b.batch, b.keep);
        const t1 = process.hrtime.bigint();
        const c1 = process.cpuUsage(c0);
        b.wall.push(Number(t1 - t0) / b.batch);
        b.cpu.push(((c1.user + c1.system) * 1000) / b.batch);
      }
      for (const k of b.keep.slice(0, Math.min(b.batch, 64))) assert.deepStrictEqual(k, b.expected, `${b.result.name}: wrong result while timed`);
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const p10 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 10)];
  for (const b of benches) Object.assign(b.result, { median_ns: median(b.wall), p10_ns: p10(b.wall), cpu_median_ns: median(b.cpu) });
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
  // The same objects, with `now` one second apart on every other call: the same answer, but
  // no answer is ever asked again for the same second (see docs/performance-wasm.md).
  const ats = [at, { now: NOW + 1 }];
  let tick = 0;
  results.push(measure(`${kind}: decide(JS object), now alternating`, () => engine.decide(claims, 'edit', orgTask, ats[tick++ & 1]), expect[kind]));
  // 64 distinct claims objects in turn, more than the engine's claims cache holds (16):
  // every call validates its claims, as for a new token each time.
  const distinct = Array.from({ length: 64 }, (_, i) => ({ ...claims, sid: `sess_${i}` }));
  let next = 0;
  results.push(measure(`${kind}: decide(JS object), a new token each call`, () => engine.decide(distinct[next++ & 63], 'edit', orgTask, at), expect[kind]));
  results.push(measure(`${kind}: decideJson(JSON strings)`, () => engine.decideJson(claimsJson, 'edit', taskJson, at), expect[kind]));
  results.push(measure(`${kind}: decide(prepared Session)`, () => engine.decide(session, 'edit', orgTask, at), expect[kind]));
  // Deeply frozen claims and task (as immer or Redux Toolkit hand out): recognised without
  // comparing every value.
  const deepFreeze = (v) => (typeof v === 'object' && v !== null ? Object.freeze(Object.values(v).forEach(deepFreeze) ?? v) : v);
  const frozenClaims = deepFreeze(structuredClone(claims));
  const frozenTask = deepFreeze({ ...orgTask });
  results.push(measure(`${kind}: decide(deeply frozen JS objects)`, () => engine.decide(frozenClaims, 'edit', frozenTask, at), expect[kind]));
  // Rows rendered again as new objects: the same content each call (the resource cache
  // recognises the text), or 128 distinct rows in turn (more than it holds: parsed each call).
  results.push(measure(`${kind}: decide(JS object), a new resource object each call`, () => engine.decide(claims, 'edit', { ...orgTask }, at), expect[kind]));
  const rows = Array.from({ length: 128 }, (_, i) => ({ ...orgTask, id: `t${i}` }));
  let row = 0;
  results.push(measure(`${kind}: decide(JS object), 128 distinct resources in turn`, () => engine.decide(claims, 'edit', { ...rows[row++ & 127] }, at), expect[kind]));
  const rawEngine = new raw.RawEngine(policyText, 'team_tasks.ord');
  const rawSession = new raw.RawSession(claimsJson);
  if (typeof rawEngine.decideSessionId === 'function') {
    const editId = rawEngine.action('edit');
    const decisionId = rawEngine.decideSessionId(rawSession, editId, undefined, taskJson, undefined, NOW);
    assert.deepStrictEqual(JSON.parse(rawEngine.decision(decisionId)), expect[kind]);
    results.push(measure(`${kind}: raw layer, prepared session, resource JSON in, number out`, () => rawEngine.decideSessionId(rawSession, editId, undefined, taskJson, undefined, NOW), decisionId));
    const rawResource = new raw.RawResource(taskJson);
    // decideResource (what decide calls for objects seen again) when the build has it.
    const rawDecide = typeof rawEngine.decideResource === 'function'
      ? () => rawEngine.decideResource(rawSession, editId, rawResource, NOW)
      : () => rawEngine.decideResourceId(rawSession, editId, undefined, rawResource, NOW);
    results.push(measure(`${kind}: raw layer, prepared session + resource, number out`, rawDecide, decisionId));
  } else {
    // A build from before the numbered answers (`--pkg`, for before/after comparisons).
    results.push(measure(`${kind}: raw layer, prepared session, JSON in and out`, () => rawEngine.decideSession(rawSession, 'edit', taskJson, undefined, NOW), JSON.stringify(expect[kind])));
  }
  const serdeBuild = fileURLToPath(new URL('../pkg-bench/ordinance_wasm.js', import.meta.url));
  if (!quick && existsSync(serdeBuild)) {
    const serdeEngine = new (require(serdeBuild).RawEngine)(policyText, 'team_tasks.ord');
    const serde = () => serdeEngine.decideSerde(claims, 'edit', orgTask, NOW);
    results.push(measure(`${kind}: serde-wasm-bindgen (objects walked from Rust)`, serde, expect[kind]));
  }
  // What handing out a fresh copy costs (js/core.js copyDecision), i.e. all that returning
  // one frozen shared object per distinct decision would save.
  const template = Object.freeze({ ...expect[kind], missing: Object.freeze(expect[kind].missing.map((m) => Object.freeze({ ...m }))) });
  const copyDecision = (d) => {
    const missing = d.missing;
    const copy = new Array(missing.length);
    for (let i = 0; i < missing.length; i++) copy[i] = { kind: missing[i].kind, name: missing[i].name };
    return { allowed: d.allowed, reason: d.reason, rule: d.rule, missing: copy };
  };
  results.push(measure(`${kind}: copy of the decision object only`, () => copyDecision(template), expect[kind]));
  // Parts of the JSON path, for the analysis in docs/performance-wasm.md.
  results.push(measure(`${kind}: JSON.stringify(claims) + JSON.stringify(task) only`, () => JSON.stringify(claims).length + JSON.stringify(orgTask).length, claimsJson.length + taskJson.length));
}
const managerSession = engine.session(manager);
const allActions = ['view', 'create', 'edit', 'complete', 'delete'];
results.push(measure('permittedActions(prepared Session), 5 actions', () => engine.permittedActions(managerSession, orgTask, at), allActions));
results.push(measure('permittedActions(JS object), 5 actions', () => engine.permittedActions(manager, orgTask, at), allActions));
results.push(measure('engine.session(claims) + free()', () => {
  const s = engine.session(manager);
  s.free();
  return 1;
}, 1));

run();
const floor = Object.fromEntries(results.filter((r) => r.name.includes('floor')).map((r) => [r.name.split(':')[0], r]));
const report = { node: process.version, cpu: os.cpus()[0]?.model, cores: os.cpus().length, load: os.loadavg()[0], samples: SAMPLES, rounds: ROUNDS, results };
if (jsonOut === '-') {
  console.log(JSON.stringify(report));
  process.exit(0);
}
console.log(`node ${process.version}, ${report.cpu} (${report.cores} cores, load average ${report.load.toFixed(2)} at the end), ${SAMPLES} samples of ~5 ms in ${ROUNDS} rounds\n`);
console.log(`${'benchmark (per call)'.padEnd(68)} ${'wall median'.padStart(12)} ${'wall p10'.padStart(10)} ${'CPU median'.padStart(11)}  CPU vs floor`);
const us = (ns) => `${(ns / 1000).toFixed(3)} us`;
for (const r of results) {
  const f = floor[r.name.split(':')[0]];
  const ratio = f ? `${(r.cpu_median_ns / f.cpu_median_ns).toFixed(1)}x` : '';
  console.log(`${r.name.padEnd(68)} ${us(r.median_ns).padStart(12)} ${us(r.p10_ns).padStart(10)} ${us(r.cpu_median_ns).padStart(11)}  ${ratio}`);
}
if (jsonOut) writeFileSync(jsonOut, `${JSON.stringify(report, null, 2)}\n`);
