// The wrapper's fast paths: claims and resource objects seen again are recognised by
// comparing them with a snapshot of the JSON the engine last saw from them, and decisions come
// back as numbers of decisions already built. None of it may ever give another answer than the
// JSON path: every check here compares `decide(object)` with `decideJson(JSON.stringify(...))`
// made fresh at the moment of the call. Run: node --test bindings/wasm/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { Engine, InternalError } from 'ordinance-wasm';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const policy = (name) => readFileSync(`${root}policies/${name}`, 'utf8');
const engine = Engine.fromPolicy(policy('team_tasks.ord'), { file: 'team_tasks.ord' });

const NOW = 1721770150;
const at = { now: NOW };
const ACTIONS = ['view', 'create', 'edit', 'complete', 'delete'];
const member = () => ({
  sub: 'user_bob',
  sid: 'sess_bob',
  iat: NOW - 17,
  nbf: NOW - 27,
  exp: NOW + 43,
  org_id: 'org_team',
  org_role: 'org:member',
  org_permissions: ['org:tasks:view', 'org:tasks:edit'],
  org_metadata: { isLicensed: true, seats: [1, 2] },
});
const orgTask = () => ({ type: 'task', id: 't1', owner_id: 'org_team', created_by_id: 'user_alice' });

// What the JSON path says right now (the oracle), or the error it throws.
function oracle(claims, action, resource) {
  let claimsText;
  try {
    claimsText = JSON.stringify(claims) ?? 'null';
  } catch (e) {
    return { throws: 'claims' };
  }
  let resourceText;
  try {
    resourceText = JSON.stringify(resource) ?? 'null';
  } catch (e) {
    return { throws: 'resource' };
  }
  return engine.decideJson(claimsText, action, resourceText, at);
}

function check(claims, resource, what) {
  for (const action of ACTIONS) {
    const want = oracle(claims, action, resource);
    if (want.throws) {
      assert.throws(() => engine.decide(claims, action, resource, at), `${what}: ${action} throws`);
      continue;
    }
    assert.deepEqual(engine.decide(claims, action, resource, at), want, `${what}: ${action}`);
  }
  let permitted;
  try {
    permitted = engine.permittedActions(claims, resource, at);
  } catch {
    permitted = 'throws';
  }
  const want = ACTIONS.filter((a) => {
    const d = oracle(claims, a, resource);
    return !d.throws && d.allowed;
  });
  if (permitted !== 'throws') assert.deepEqual(permitted, want, `${what}: permittedActions`);
}

// Mutations of a claims object (or its parts), each paired with a name. Some keep the JSON
// text, most change it; some leave plain JSON data behind (getters, toJSON, prototypes...).
const claimsMutations = [
  ['nested value', (c) => { c.org_metadata.isLicensed = !c.org_metadata.isLicensed; }],
  ['nested value of the wrong type', (c) => { c.org_metadata.isLicensed = 'yes'; }],
  ['array element', (c) => { c.org_permissions[1] = 'org:tasks:manage'; }],
  ['array push', (c) => { c.org_permissions.push('org:tasks:manage'); }],
  ['array pop', (c) => { c.org_permissions.pop(); }],
  ['array emptied', (c) => { c.org_permissions.length = 0; }],
  ['array replaced by an equal copy', (c) => { c.org_permissions = [...c.org_permissions]; }],
  ['nested array element', (c) => { c.org_metadata.seats[0] = 7; }],
  ['add a key', (c) => { c.extra = { a: [1] }; }],
  ['delete a key', (c) => { delete c.org_role; }],
  ['delete and re-add a key (order changes)', (c) => { const v = c.sub; delete c.sub; c.sub = v; }],
  ['role changed', (c) => { c.org_role = c.org_role === 'org:manager' ? 'org:member' : 'org:manager'; }],
  ['user changed', (c) => { c.sub = c.sub === 'user_alice' ? 'user_bob' : 'user_alice'; }],
  ['wrong type', (c) => { c.sub = 5; }],
  ['undefined value (omitted by JSON)', (c) => { c.sid = undefined; }],
  ['NaN (null in JSON)', (c) => { c.iat = NaN; }],
  ['-0', (c) => { c.iat = -0; }],
  ['function value', (c) => { c.sid = () => 'x'; }],
  ['Date value', (c) => { c.sid = new Date(0); }],
  ['own toJSON', (c) => { c.toJSON = () => ({ sub: 'user_alice' }); }],
  ['non-enumerable own toJSON', (c) => { Object.defineProperty(c, 'toJSON', { value: () => ({}), configurable: true }); }],
  ['toJSON on a nested object', (c) => { Object.defineProperty(c.org_metadata, 'toJSON', { value: () => ({ isLicensed: false }), configurable: true }); }],
  ['getter with another value', (c) => { const role = c.org_role === 'org:manager' ? 'org:member' : 'org:manager'; Object.defineProperty(c, 'org_role', { get: () => role, enumerable: true, configurable: true }); }],
  ['non-enumerable key', (c) => { Object.defineProperty(c, 'org_id', { value: c.org_id, enumerable: false, configurable: true, writable: true }); }],
  ['prototype changed', (c) => { Object.setPrototypeOf(c.org_metadata, { isLicensed: false }); }],
  ['null prototype', (c) => { Object.setPrototypeOf(c, null); }],
  ['exp in the past', (c) => { c.exp = NOW - 60; }],
  ['exp back', (c) => { c.exp = NOW + 43; }],
  ['org removed', (c) => { delete c.org_id; delete c.org_role; delete c.org_permissions; delete c.org_metadata; }],
  ['nothing', () => {}],
];

test('a claims object changed after it was cached is decided on its new value', () => {
  for (const [name, mutate] of claimsMutations) {
    const claims = member();
    const task = orgTask();
    // Each check makes 16 calls with the object: the first sees the text, the second
    // prepares it, the third binds the object, the rest take the fast path.
    for (let i = 0; i < 3; i++) check(claims, task, `before: ${name}`);
    mutate(claims);
    check(claims, task, `after: ${name}`);
    check(claims, task, `after (again): ${name}`);
  }
});

test('a resource object changed after it was cached is decided on its new value', () => {
  const mutations = [
    ['owner', (r) => { r.owner_id = 'user_bob'; }],
    ['creator', (r) => { r.created_by_id = 'user_bob'; }],
    ['wrong type', (r) => { r.owner_id = 7; }],
    ['null', (r) => { r.owner_id = null; }],
    ['deleted', (r) => { delete r.created_by_id; }],
    ['type', (r) => { r.type = 'project'; }],
    ['type deleted', (r) => { delete r.type; }],
    ['extra attribute', (r) => { r.done = true; }],
    ['id changed', (r) => { r.id = 't2'; }],
    ['id of the wrong type', (r) => { r.id = 2; }],
    ['toJSON', (r) => { r.toJSON = () => ({ type: 'task', owner_id: 'user_bob', created_by_id: 'x' }); }],
    ['getter', (r) => { Object.defineProperty(r, 'owner_id', { get: () => 'user_bob', enumerable: true }); }],
    ['prototype', (r) => { Object.setPrototypeOf(r, { owner_id: 'org_team' }); }],
    ['undefined', (r) => { r.created_by_id = undefined; }],
    ['cycle', (r) => { r.self = r; }],
  ];
  for (const [name, mutate] of mutations) {
    for (const claims of [member(), { ...member(), sub: 'user_alice', org_role: 'org:manager' }]) {
      const task = orgTask();
      for (let i = 0; i < 3; i++) check(claims, task, `before: ${name}`);
      mutate(task);
      check(claims, task, `after: ${name}`);
      check(claims, task, `after (again): ${name}`);
    }
  }
});

test('a deleted key whose name Object.prototype also has (not enumerable) is noticed', () => {
  // JSON.stringify drops the key; reading it would find the prototype's equal value.
  Object.defineProperty(Object.prototype, 'created_by_id', { value: 'user_bob', configurable: true, writable: true });
  try {
    const claims = member();
    const task = { ...orgTask(), created_by_id: 'user_bob' };
    for (let i = 0; i < 3; i++) check(claims, task, 'before');
    delete task.created_by_id;
    check(claims, task, 'after');
    assert.equal(engine.decide(claims, 'edit', task, at).allowed, false, 'no longer the creator');
  } finally {
    delete Object.prototype.created_by_id;
  }
});

test('claims that differ only in the length of an array share one compiled comparison', () => {
  const two = member();
  const three = { ...member(), sub: 'user_carol', org_permissions: ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'] };
  const task = orgTask();
  for (let i = 0; i < 3; i++) check(two, task, 'two permissions');
  const before = Engine._cacheStateForTests().compiledShapes;
  for (let i = 0; i < 3; i++) check(three, task, 'three permissions');
  if (!INTERPRETED) assert.equal(Engine._cacheStateForTests().compiledShapes, before, 'no new shape');
  // Each object is still compared with its own snapshot.
  three.org_permissions.pop();
  check(three, task, 'three permissions, one popped');
  two.org_permissions.push('org:tasks:manage');
  check(two, task, 'two permissions, one pushed');
  two.org_permissions[0] = 'org:tasks:manage';
  check(two, task, 'two permissions, first replaced');
});

test('random changes to cached claims and resources never give a stale answer', () => {
  // A deterministic generator (xorshift), so a failure repeats.
  let seed = 0x2545f491;
  const rand = (n) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const resourceMutations = [
    (r) => { r.owner_id = ['org_team', 'user_bob', 'user_alice', 'org_x'][rand(4)]; },
    (r) => { r.created_by_id = ['user_bob', 'user_alice'][rand(2)]; },
    (r) => { delete r.created_by_id; },
    (r) => { r.created_by_id = 'user_bob'; },
    () => {},
  ];
  for (let round = 0; round < 20; round++) {
    const claims = member();
    const tasks = [orgTask(), { type: 'task', owner_id: 'user_bob', created_by_id: 'user_bob' }];
    for (let step = 0; step < 25; step++) {
      const task = tasks[rand(2)];
      // Mostly plain data changes (the fast path must notice them), now and then a
      // non-JSON one (which ends the round: getters and the like stay on the object).
      const plainCount = 14;
      const index = rand(4) === 0 ? rand(claimsMutations.length) : rand(plainCount);
      const [name, mutate] = claimsMutations[index];
      if (rand(3) === 0) resourceMutations[rand(resourceMutations.length)](task);
      else mutate(claims);
      check(claims, task, `round ${round} step ${step}: ${name}`);
      check(claims, task, `round ${round} step ${step}: ${name} (again)`);
      if (index >= plainCount) break;
    }
  }
});

test('decisions and action lists are fresh copies', () => {
  const claims = member();
  const task = orgTask();
  const first = engine.decide(claims, 'edit', task, at);
  assert.deepEqual(first.missing, [{ kind: 'permission', name: 'org:tasks:manage' }]);
  first.missing[0].name = 'changed';
  first.missing.push({ kind: 'x', name: 'y' });
  first.reason = 'changed';
  for (let i = 0; i < 3; i++) {
    const again = engine.decide(claims, 'edit', task, at);
    assert.deepEqual(again, { allowed: false, reason: 'no_matching_rule', rule: null, missing: [{ kind: 'permission', name: 'org:tasks:manage' }] });
    assert.notEqual(again, first);
    again.missing.length = 0;
  }
  const list = engine.permittedActions(claims, task, at);
  list.push('fly');
  assert.deepEqual(engine.permittedActions(claims, task, at), ['view', 'create']);
  assert.deepEqual(engine.permittedActions(claims, task, at), ['view', 'create']);
  // Decisions with an error travel as JSON and keep their `error`.
  for (let i = 0; i < 3; i++) {
    const unknown = engine.decide(claims, 'archive', task, at);
    assert.equal(unknown.error, 'the policy declares no action `archive` on `task`');
    assert.deepEqual(Object.keys(engine.decide(claims, 'view', task, at)), ['allowed', 'reason', 'rule', 'missing']);
  }
});

test('one resource object serves several engines; context bypasses the prepared resource', () => {
  const rooms = Engine.fromPolicy(policy('rooms.ord'));
  const room = { type: 'room', owner_id: 'org_team' };
  const claims = member();
  for (let i = 0; i < 3; i++) {
    assert.equal(rooms.decide(claims, 'enter', room, at).allowed, true);
    assert.equal(engine.decide(claims, 'view', room, at).reason, 'unknown_resource_type');
  }
  room.owner_id = 'org_other';
  assert.equal(rooms.decide(claims, 'enter', room, at).allowed, false);
  const task = orgTask();
  for (let i = 0; i < 3; i++) assert.equal(engine.decide(claims, 'view', task, { now: NOW, context: { a: 1 } }).allowed, true);
  assert.equal(engine.decide(claims, 'view', task, { now: NOW, context: 'x' }).reason, 'invalid_context');
});

test('cached objects survive a panic', () => {
  const claims = { ...member(), sub: 'user_alice', org_role: 'org:manager' };
  const task = orgTask();
  const before = ACTIONS.map((a) => engine.decide(claims, a, task, at));
  for (let i = 0; i < 2; i++) ACTIONS.forEach((a) => engine.decide(claims, a, task, at));
  const listBefore = engine.permittedActions(claims, task, at);
  assert.throws(() => engine._panicForTests(), InternalError);
  assert.deepEqual(ACTIONS.map((a) => engine.decide(claims, a, task, at)), before);
  assert.deepEqual(engine.permittedActions(claims, task, at), listBefore);
  claims.org_role = 'org:member';
  check(claims, task, 'changed after the panic');
});

test('more action names than an engine numbers: the rest take the text path', () => {
  const e = Engine.fromPolicy(policy('team_tasks.ord'));
  const claims = member();
  const task = orgTask();
  for (let i = 0; i < 1100; i++) {
    const d = e.decide(claims, `action_${i}`, task, at);
    assert.equal(d.reason, 'unknown_action');
    assert.equal(d.error, `the policy declares no action \`action_${i}\` on \`task\``);
  }
  for (let i = 0; i < 3; i++) {
    check(claims, task, 'after the table is full');
    for (const action of ACTIONS) {
      assert.deepEqual(e.decide(claims, action, task, at), engine.decide(claims, action, task, at), action);
      assert.deepEqual(e.decideJson(JSON.stringify(claims), action, JSON.stringify(task), at), engine.decide(claims, action, task, at), action);
    }
  }
});

test('new resource objects with the same content, and more resources than the cache holds', () => {
  const claims = member();
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 100; i++) {
      const row = { type: 'task', id: `t${i % 80}`, owner_id: i % 3 ? 'org_team' : 'user_bob', created_by_id: i % 5 ? `user_${i}` : 'user_bob' };
      check(claims, { ...row }, `row ${i}, round ${round}`);
      check(claims, { ...row }, `row ${i}, round ${round}, a new object`);
    }
  }
});

const deepFreeze = (v) => {
  if (typeof v === 'object' && v !== null) {
    Object.values(v).forEach(deepFreeze);
    Object.freeze(v);
  }
  return v;
};

test('deeply frozen objects: recognised without comparing every value, never stale', () => {
  const claims = deepFreeze(member());
  const task = deepFreeze(orgTask());
  for (let i = 0; i < 3; i++) check(claims, task, 'frozen');
  // Frozen, but a getter: its value may change, so it is compared on every call.
  let role = 'org:member';
  const withGetter = member();
  Object.defineProperty(withGetter, 'org_role', { get: () => role, enumerable: true });
  deepFreeze(withGetter);
  for (let i = 0; i < 3; i++) check(withGetter, task, 'frozen with a getter');
  role = 'org:manager';
  check(withGetter, task, 'frozen with a getter, changed');
  assert.equal(engine.decide(withGetter, 'delete', task, at).rule, 'org_manage');
  // Frozen only at the top: the nested objects may change.
  const shallow = Object.freeze(member());
  for (let i = 0; i < 3; i++) check(shallow, task, 'shallow frozen');
  shallow.org_permissions.push('org:tasks:manage');
  check(shallow, task, 'shallow frozen, nested array changed');
  assert.equal(engine.decide(shallow, 'delete', task, at).rule, 'org_manage');
  // A toJSON added to Object.prototype reaches frozen objects too.
  try {
    // eslint-disable-next-line no-extend-native
    Object.defineProperty(Object.prototype, 'toJSON', { value: function () { return this === claims ? { sub: 'user_bob' } : this; }, configurable: true, writable: true });
    assert.deepEqual(engine.decide(claims, 'edit', task, at), oracle(claims, 'edit', task));
    assert.equal(engine.decide(claims, 'edit', task, at).reason, 'no_matching_rule');
  } finally {
    delete Object.prototype.toJSON;
  }
  check(claims, task, 'frozen, after the toJSON');
  // A Proxy over a frozen object may answer `toJSON` from its get trap at any time.
  let lie = false;
  const target = deepFreeze(member());
  const proxy = new Proxy(target, { get: (t, k) => (k === 'toJSON' && lie ? () => ({ sub: 'user_alice', org_id: 'org_team', org_role: 'org:manager', org_metadata: { isLicensed: true } }) : t[k]) });
  for (let i = 0; i < 3; i++) check(proxy, task, 'frozen proxy');
  lie = true;
  check(proxy, task, 'frozen proxy with a toJSON');
  assert.equal(engine.decide(proxy, 'delete', task, at).rule, 'org_manage');
});

test('two deeply frozen objects with the same content, in turn: each decided on its own value', () => {
  // An entry remembers one deeply frozen object; the other is compared on every call.
  const a = deepFreeze(member());
  const b = deepFreeze(member());
  const task = orgTask();
  for (let i = 0; i < 4; i++) {
    check(a, task, `frozen a, round ${i}`);
    check(b, task, `frozen b, round ${i}`);
  }
  // A plain object with the same content, then changed: never answered from a frozen twin.
  const c = member();
  for (let i = 0; i < 3; i++) check(c, task, 'plain twin');
  c.org_role = 'org:manager';
  check(c, task, 'plain twin, changed');
  assert.equal(engine.decide(c, 'delete', task, at).rule, 'org_manage');
  check(a, task, 'frozen a, after the twin changed');
});

test('the last object and the last action are remembered without going stale', () => {
  // Alternating objects and actions exercise the one-entry memories (Bindings, the action
  // number); a change to the remembered object between two calls must be seen.
  const claims = [member(), { ...member(), sub: 'user_alice', org_role: 'org:manager' }];
  const tasks = [orgTask(), { type: 'task', id: 't2', owner_id: 'user_bob', created_by_id: 'user_bob' }];
  for (let i = 0; i < 40; i++) {
    const c = claims[i % 2];
    const t = tasks[(i >> 1) % 2];
    const action = ACTIONS[i % ACTIONS.length];
    assert.deepEqual(engine.decide(c, action, t, at), oracle(c, action, t), `step ${i}`);
    assert.deepEqual(engine.decide(c, action, t, at), oracle(c, action, t), `step ${i} again`);
    if (i % 7 === 3) c.org_permissions = i % 2 ? ['org:tasks:view'] : ['org:tasks:view', 'org:tasks:edit'];
    if (i % 11 === 5) t.owner_id = t.owner_id === 'org_team' ? 'org_other' : 'org_team';
    assert.deepEqual(engine.decide(c, action, t, at), oracle(c, action, t), `step ${i} after a change`);
  }
});

test('decisions numbered by their key: each session, resource and context gets its own answer', () => {
  // The prepared path numbers a decision by its key (an allow by its rule, a deny by the
  // values of the rules' tests and the session's facts; engine `decide_action_keyed`) and
  // builds a deny's hint once per key.
  // Here the same test values give different hints in and out of an organization (`has`
  // asks a personal session for an organization too), and scopes make a plan keyless.
  const text = [
    'permission docs:read "Read"',
    'permission docs:edit "Edit"',
    'resource doc { owner: string }',
    'action read, edit, share on doc',
    'permit read on doc when has(docs:read)',
    '@id("own") permit edit on doc when resource.owner == user.id and has(docs:edit)',
    '@id("any") permit edit on doc when has(docs:read) and has(docs:edit)',
    'permit share on doc when scopes(context.granted).contains_all(["a", "b"])',
  ].join('\n');
  const keyed = Engine.fromPolicy(text);
  const sessions = [
    { sub: 'u1' },
    { sub: 'u2', org_id: 'o1' },
    { sub: 'u1', org_id: 'o2', org_permissions: ['docs:read'] },
    { sub: 'u3', org_id: 'o1', org_permissions: ['docs:edit'] },
    { sub: 'u2', org_id: 'o1', org_permissions: ['docs:read', 'docs:edit'] },
  ].map((claims) => [claims, keyed.session(claims)]);
  const docs = [{ type: 'doc', owner: 'u1' }, { type: 'doc', owner: 'u2' }];
  const contexts = [undefined, { granted: ['a'] }, { granted: ['b', 'c'] }];
  for (let round = 0; round < 3; round++) {
    for (const [claims, session] of sessions) {
      for (const doc of docs) {
        for (const action of ['read', 'edit', 'share']) {
          for (const context of contexts) {
            const opts = context === undefined ? at : { ...at, context };
            const want = keyed.decideJson(JSON.stringify(claims), action, JSON.stringify(doc), opts);
            const what = `${action} ${JSON.stringify(claims)} ${JSON.stringify(doc)} ${JSON.stringify(context)}`;
            assert.deepEqual(keyed.decide(session, action, doc, opts), want, what);
            assert.deepEqual(keyed.decide(claims, action, doc, opts), want, `${what} (object)`);
          }
        }
      }
    }
  }
  const personal = keyed.decide(sessions[0][1], 'read', docs[0], at);
  assert.deepEqual(personal.missing, [{ kind: 'organization', name: '' }, { kind: 'permission', name: 'docs:read' }]);
  assert.deepEqual(keyed.decide(sessions[1][1], 'read', docs[0], at).missing, [{ kind: 'permission', name: 'docs:read' }]);
  // Two permits of one pair allow the same session: two answers.
  assert.equal(keyed.decide(sessions[4][1], 'edit', docs[1], at).rule, 'own');
  assert.equal(keyed.decide(sessions[4][1], 'edit', docs[0], at).rule, 'any');
  keyed.free();
});

test('raw decideResource: an action number the engine never gave fails, with a payload', async () => {
  const { createRequire } = await import('node:module');
  const raw = createRequire(import.meta.url)('../pkg-node/ordinance_wasm.js');
  const e = new raw.RawEngine(policy('team_tasks.ord'), 'team_tasks.ord');
  const s = new raw.RawSession(JSON.stringify(member()));
  const r = new raw.RawResource(JSON.stringify(orgTask()));
  const view = e.action('view');
  const id = e.decideResource(s, view, r, NOW);
  assert.ok(id < 0xfffffffe);
  assert.deepEqual(JSON.parse(e.decision(id)), engine.decide(member(), 'view', orgTask(), at));
  for (const bad of [view + 1, 0xfffffffd, 0xffffffff]) {
    assert.equal(e.decideResource(s, bad, r, NOW), 0xfffffffe, `action number ${bad}`);
    assert.deepEqual(JSON.parse(e.lastJson()), { kind: 'internal', message: `no action number ${bad}` });
  }
  for (const h of [e, s, r]) h.free();
});

// Objects seen again are compared by code generated per snapshot shape where the host allows
// it, and by the interpreted walk where it does not (a Content-Security-Policy without
// 'unsafe-eval'). This file runs in both: here with code generation, and in a child process
// where Node refuses it.
const INTERPRETED = process.execArgv.includes('--disallow-code-generation-from-strings');

test('the comparisons of this process are compiled, or interpreted where code generation is refused', () => {
  const state = Engine._cacheStateForTests();
  if (INTERPRETED) {
    assert.deepEqual(state, { codeGeneration: false, compiledShapes: 0 });
  } else {
    assert.equal(state.codeGeneration, true);
    // member(), its variants, the two tasks and the mutated shapes above.
    assert.ok(state.compiledShapes >= 4, `${state.compiledShapes} shapes compiled`);
  }
});

test('every test of this file also passes with the interpreted comparison', { skip: INTERPRETED }, () => {
  const file = fileURLToPath(import.meta.url);
  // Run as a plain script (its tests report in TAP), not as a child of this test runner.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawnSync(process.execPath, ['--disallow-code-generation-from-strings', file], { encoding: 'utf8', env });
  assert.equal(child.status, 0, `${child.stdout}\n${child.stderr}`);
  assert.match(child.stdout, /# fail 0/);
});
