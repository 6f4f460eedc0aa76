// A/B of whole builds in one process: loads every build given, then interleaves timed
// batches (~3 ms each) of the same operation on each build, round after round, and prints
// the median CPU time per call and the ratio to the first build. Interleaving inside one
// process keeps a shared machine's changing load from landing on one build only, which
// separate bench.mjs runs cannot promise (see docs/performance-wasm.md, "Making room").
//
//   node bindings/wasm/bench/ab.cjs ROUNDS NAME=DIR [NAME=DIR ...]
//   OPS='decideJson allow,decide session deny' node bindings/wasm/bench/ab.cjs 150 main=/tmp/pkg-main new=bindings/wasm/pkg-node
//
// DIR is a node build (`scripts/build.mjs --node-only --out DIR`). OPS picks operations.
'use strict';
const { readFileSync } = require('node:fs');
const { loadavg } = require('node:os');
const { join, resolve } = require('node:path');

const root = join(__dirname, '..', '..', '..');
const tests = JSON.parse(readFileSync(join(root, 'policies', 'team_tasks.test.json'), 'utf8'));
const policy = readFileSync(join(root, 'policies', 'team_tasks.ord'), 'utf8');
const NOW = tests.now;
const alice = tests.sessions.alice_manager;
const bob = tests.sessions.bob_member;
const task = { type: 'task', id: 't1', owner_id: alice.org_id, created_by_id: 'user_charlie' };
const rounds = Number(process.argv[2]);
const builds = process.argv.slice(3).map((arg) => {
  const [name, dir] = arg.split('=');
  return { name, lib: require(resolve(dir, 'index.cjs')) };
});
if (!(rounds > 0) || builds.length === 0) {
  console.error('usage: node ab.cjs ROUNDS NAME=DIR [NAME=DIR ...]');
  process.exit(2);
}

for (const b of builds) {
  const engine = b.lib.Engine.fromPolicy(policy);
  const sa = engine.session(alice);
  const sb = engine.session(bob);
  const aj = JSON.stringify(alice);
  const bj = JSON.stringify(bob);
  const tj = JSON.stringify(task);
  let k = 0;
  b.ops = {
    'decide obj allow': () => engine.decide(alice, 'edit', task, { now: NOW }),
    'decide obj deny': () => engine.decide(bob, 'edit', task, { now: NOW }),
    'decide session allow': () => engine.decide(sa, 'edit', task, { now: NOW }),
    'decide session deny': () => engine.decide(sb, 'edit', task, { now: NOW }),
    'decideJson allow': () => engine.decideJson(aj, 'edit', tj, { now: NOW }),
    'decideJson deny': () => engine.decideJson(bj, 'edit', tj, { now: NOW }),
    'new token': () => engine.decide({ ...alice, jti: `j${k++}` }, 'edit', task, { now: NOW }),
    'new resource': () => engine.decide(alice, 'edit', { ...task, id: `t${k++ & 127}` }, { now: NOW }),
    'session+free': () => engine.session(alice).free(),
    permittedActions: () => engine.permittedActions(alice, task, { now: NOW }),
    fromPolicy: () => b.lib.Engine.fromPolicy(policy).free(),
  };
}
const wanted = process.env.OPS ? process.env.OPS.split(',') : null;
const names = Object.keys(builds[0].ops).filter((n) => !wanted || wanted.includes(n));

// Warm every build and operation up, then size each operation's batch on the first build.
for (const b of builds) for (const n of names) for (let i = 0; i < (n === 'fromPolicy' ? 20 : 2000); i++) b.ops[n]();
const batch = {};
for (const n of names) {
  let size = 1;
  for (;;) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < size; i++) builds[0].ops[n]();
    if (Number(process.hrtime.bigint() - t0) > 3e6) break;
    size *= 2;
  }
  batch[n] = size;
}

const samples = {};
for (let r = 0; r < rounds; r++) {
  for (const n of names) {
    for (const b of r % 2 ? [...builds].reverse() : builds) {
      const fn = b.ops[n];
      const c0 = process.cpuUsage();
      for (let i = 0; i < batch[n]; i++) fn();
      const c = process.cpuUsage(c0);
      ((samples[n] ??= {})[b.name] ??= []).push(((c.user + c.system) * 1000) / batch[n]);
    }
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}; CPU ns per call (median of ${rounds} batches)`);
console.log(`${'operation'.padEnd(24)}${builds.map((b) => b.name.padStart(10)).join('')}   ratio to ${builds[0].name}`);
for (const n of names) {
  const m = builds.map((b) => median(samples[n][b.name]));
  console.log(`${n.padEnd(24)}${m.map((x) => x.toFixed(0).padStart(10)).join('')}   ${m.slice(1).map((x) => (x / m[0]).toFixed(3)).join(' ')}`);
}
