// Acceptance tests of ordinance-wasm as a new front-end / Node user meets it: written from
// issue 5, the design brief, the seed guides (Clerk RBAC, per-user licensing, personal vs
// organization accounts, per-user OAuth scopes), the package README and index.d.ts — through
// the public JS API only. Where the CLI is built (ORDINANCE_CLI, $CARGO_TARGET_DIR/debug or
// target/debug), its answers are the reference.
// Run: node --test bindings/wasm/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as ordinance from 'ordinance-wasm';

const { Engine, Session, Filter, OrdinanceError, PolicyError, ClaimsError, RequestError, InternalError } = ordinance;

const here = fileURLToPath(new URL('..', import.meta.url)); // bindings/wasm/
const root = fileURLToPath(new URL('../../../', import.meta.url));
const policyPath = (name) => join(root, 'policies', name);
const policyText = (name) => readFileSync(policyPath(name), 'utf8');
const teamTasks = Engine.fromPolicy(policyText('team_tasks.ord'), { file: 'team_tasks.ord' });

// The `ordinance` CLI, when built: the reference for decisions, traces and error locations.
const cli = [process.env.ORDINANCE_CLI, process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, 'debug', 'ordinance'), join(root, 'target', 'debug', 'ordinance')].find(
  (p) => p && existsSync(p),
);
const needsCli = { skip: cli === undefined && 'the `ordinance` CLI is not built (cargo build -p ordinance-cli, or set ORDINANCE_CLI)' };

// The seed's sample claims ("Role based access control with Clerk Organizations"), and the
// issue's six sample sessions built from them.
const NOW = 1721770150;
const at = { now: NOW };
const seedClaims = {
  azp: 'http://localhost:3005',
  exp: 1721770193,
  iat: 1721770133,
  iss: 'https://assuring-cod-50.clerk.accounts.dev',
  jti: 'daeb648e4c6dbfbdd2ce',
  nbf: 1721770123,
  org_id: 'org_2ieWEfZl0M6ccS1Ap1XVRbEm9Kk',
  org_metadata: { isLicensed: true },
  org_permissions: ['org:tasks:edit', 'org:tasks:view', 'org:tasks:manage'],
  org_role: 'org:manager',
  org_slug: 'd2-gamers',
  sid: 'sess_2jfFHBJQpqzwZbnwHXti0yxCz1G',
  sub: 'user_2iVvo8iFCJQJ1WCXeBk5T9lUTO5',
};
const ORG = seedClaims.org_id;
const org = (sub, role, permissions, isLicensed = true) => ({
  ...seedClaims,
  sub,
  sid: `sess_${sub}`,
  org_role: role,
  org_permissions: permissions,
  org_metadata: { isLicensed },
});
const personalClaims = (sub) => {
  const { org_id, org_metadata, org_permissions, org_role, org_slug, ...rest } = seedClaims;
  return { ...rest, sub, sid: `sess_${sub}` };
};
const sessions = {
  manager: org('user_alice', 'org:manager', ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage']),
  member: org('user_bob', 'org:member', ['org:tasks:view', 'org:tasks:edit']),
  viewer: org('user_charlie', 'org:viewer', ['org:tasks:view']),
  unlicensed: org('user_dana', 'org:member', ['org:tasks:view', 'org:tasks:edit'], false),
  personal: personalClaims('user_erin'),
  expired: { ...org('user_frank', 'org:manager', ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage']), iat: NOW - 3700, nbf: NOW - 3710, exp: NOW - 3600 },
};
// Clerk v2 tokens of the same people: the organization in `o`, permissions as feature bitmasks.
const v2 = (v1) => {
  const { org_id, org_metadata, org_permissions, org_role, org_slug, ...rest } = v1;
  if (!org_id) return { ...rest, v: 2 };
  const names = ['view', 'edit', 'manage'];
  const mask = names.reduce((m, n, i) => (org_permissions.includes(`org:tasks:${n}`) ? m | (1 << i) : m), 0);
  return { ...rest, v: 2, fea: 'o:tasks', o: { id: org_id, slg: org_slug, rol: org_role.replace(/^org:/, ''), per: names.join(','), fpm: String(mask) }, org_metadata };
};
const ACTIONS = ['view', 'create', 'edit', 'complete', 'delete'];
const task = (id, owner_id, created_by_id) => ({ type: 'task', id, owner_id, created_by_id });
const tasks = {
  byAlice: task('t1', ORG, 'user_alice'),
  byBob: task('t2', ORG, 'user_bob'),
  byDana: task('t4', ORG, 'user_dana'),
  otherOrg: task('t9', 'org_other', 'user_bob'),
  bobsOwn: task('p2', 'user_bob', 'user_bob'),
  danasOwn: task('p4', 'user_dana', 'user_dana'),
  erinsOwn: task('p5', 'user_erin', 'user_erin'),
};

function thrown(f) {
  try {
    f();
  } catch (e) {
    return e;
  }
  assert.fail('expected an exception');
}

// ---------------------------------------------------------------- the package

test('require (CommonJS) and import (ES module) of ordinance-wasm give Node the same nodejs build', async () => {
  const require = createRequire(import.meta.url);
  const required = require('ordinance-wasm');
  const nodeBuild = join(here, 'pkg-node', 'index.cjs');
  assert.equal(require.resolve('ordinance-wasm'), nodeBuild);
  assert.equal(fileURLToPath(import.meta.resolve('ordinance-wasm')), nodeBuild);
  for (const name of ['init', 'Engine', 'Session', 'Filter', 'OrdinanceError', 'PolicyError', 'ClaimsError', 'RequestError', 'InternalError']) {
    assert.equal(typeof required[name], 'function', `require gives ${name}`);
    assert.equal(ordinance[name], required[name], `import and require give the same ${name}`);
  }
  assert.equal(ordinance.default, required, 'the default import is the CommonJS exports');
  // The Node build loads the .wasm synchronously: usable right after require, init() a no-op.
  assert.equal(await required.init(), undefined);
});

// Node's resolution of package.json `exports` (conditions matched in key order), to see what
// a bundler or a browser-targeted tool is given for a set of conditions.
function resolveExports(exports, conditions) {
  let target = exports['.'];
  while (target !== null && typeof target === 'object') {
    const key = Object.keys(target).find((k) => k === 'default' || conditions.includes(k));
    if (key === undefined) return null;
    target = target[key];
  }
  return target;
}

test('package.json exports: Node gets the nodejs build, browsers and bundlers the web build, each with its types', () => {
  const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
  assert.equal(pkg.name, 'ordinance-wasm');
  const cases = [
    [['node', 'require'], './pkg-node/index.cjs'],
    [['node', 'import'], './pkg-node/index.cjs'],
    [['types', 'node', 'import'], './pkg-node/index.d.ts'],
    [['browser', 'import', 'module'], './pkg-web/index.js'], // Vite, webpack for the web
    [['browser', 'require'], './pkg-web/index.js'],
    [['import'], './pkg-web/index.js'], // a bundler with no platform
    [['worker', 'import'], './pkg-web/index.js'],
    [['types', 'browser', 'import'], './pkg-web/index.d.ts'],
    [[], './pkg-web/index.js'],
  ];
  for (const [conditions, want] of cases) {
    assert.equal(resolveExports(pkg.exports, conditions), want, `conditions ${JSON.stringify(conditions)}`);
    assert.ok(existsSync(join(here, want)), `${want} exists (built)`);
  }
  // Old resolvers (no `exports`): main for Node, module for bundlers, types for TypeScript.
  assert.equal(pkg.main, './pkg-node/index.cjs');
  assert.equal(pkg.module, './pkg-web/index.js');
  assert.ok(existsSync(join(here, pkg.types)));
  // The web build is an ES module a browser can load: no require, no Node built-ins.
  const web = readFileSync(join(here, 'pkg-web', 'index.js'), 'utf8') + readFileSync(join(here, 'pkg-web', 'ordinance_wasm.js'), 'utf8');
  assert.doesNotMatch(web, /\brequire\(|from ['"](node:|fs['"]|path['"])/);
  for (const f of pkg.files) assert.ok(existsSync(join(here, f)), `${f} (package.json files) exists`);
});

test('the .wasm is exported as ordinance-wasm/ordinance_wasm_bg.wasm, for bundlers that need its URL', async () => {
  const require = createRequire(import.meta.url);
  const path = require.resolve('ordinance-wasm/ordinance_wasm_bg.wasm');
  assert.equal(path, join(here, 'pkg-web', 'ordinance_wasm_bg.wasm'));
  assert.equal(fileURLToPath(import.meta.resolve('ordinance-wasm/ordinance_wasm_bg.wasm')), path);
  // What the web build's init() is then given: it loads and decides.
  const web = await import(new URL('../pkg-web/index.js?exported-wasm', import.meta.url).href);
  await web.init(readFileSync(path));
  assert.deepEqual(web.Engine.fromPolicy(policyText('team_tasks.ord')).permittedActions(sessions.viewer, tasks.byAlice, at), ['view']);
});

test("the README's front-end lines run as written (npm install ./bindings/wasm, then the README's code)", () => {
  const readme = readFileSync(join(here, 'README.md'), 'utf8');
  const code = /```js\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(code, 'the README has a js block');
  assert.ok(code.split('\n').filter((l) => l.trim()).length <= 5, 'five lines');
  // The tooltip the README promises for the same session and task.
  const promised = "`{ allowed: false, reason: 'no_matching_rule', rule: null, missing: [{ kind: 'permission', name: 'org:tasks:manage' }] }`";
  assert.ok(readme.includes(promised), 'the README shows the decision for a disabled button');
  const project = mkdtempSync(join(tmpdir(), 'ordinance-readme-'));
  try {
    writeFileSync(join(project, 'package.json'), '{"name": "app", "private": true, "type": "module"}');
    execFileSync('npm', ['install', here, '--no-audit', '--no-fund', '--offline', '--loglevel=error'], { cwd: project });
    // What the page around the README's lines has: the server's policy file at
    // /policies/team_tasks.ord, the verified claims of the signed-in member, a task row
    // someone else created, and a button.
    const { exp, iat, nbf, ...member } = sessions.member; // a live token: the README's lines use the clock
    writeFileSync(
      join(project, 'page.mjs'),
      `import { readFileSync } from 'node:fs';
globalThis.fetch = async (path) => new Response(readFileSync(${JSON.stringify(root)} + path.replace(/^\\//, '')));
globalThis.claims = ${JSON.stringify(member)};
globalThis.task = ${JSON.stringify(tasks.byAlice)};
globalThis.button = { disabled: false };
`,
    );
    writeFileSync(join(project, 'readme.mjs'), `${code}\nconsole.log(JSON.stringify([button.disabled, engine.decide(session, 'edit', task)]));\n`);
    const out = execFileSync('node', ['--import', './page.mjs', 'readme.mjs'], { cwd: project, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), [true, { allowed: false, reason: 'no_matching_rule', rule: null, missing: [{ kind: 'permission', name: 'org:tasks:manage' }] }]);
    // The repository README's JavaScript lines: decide, then the button and its tooltip.
    const top = /## JavaScript[\s\S]*?```js\n([\s\S]*?)```/.exec(readFileSync(join(root, 'README.md'), 'utf8'))?.[1];
    assert.ok(top, 'the repository README has a JavaScript block');
    writeFileSync(join(project, 'top.mjs'), `globalThis.editButton = {};\n${top}\nconsole.log(JSON.stringify([editButton, d]));\n`);
    const [editButton, d] = JSON.parse(execFileSync('node', ['--import', './page.mjs', 'top.mjs'], { cwd: project, encoding: 'utf8' }));
    assert.deepEqual(editButton, { disabled: true, title: 'org:tasks:manage' });
    assert.deepEqual(Object.keys(d), ['allowed', 'reason', 'rule', 'missing']);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});

test('index.d.ts declares what the runtime has: every export, class member and static', () => {
  const dts = readFileSync(join(here, 'js', 'index.d.ts'), 'utf8');
  for (const file of ['pkg-node/index.d.ts', 'pkg-web/index.d.ts']) assert.equal(readFileSync(join(here, file), 'utf8'), dts, `${file} is js/index.d.ts`);
  const values = [...dts.matchAll(/^export (?:declare )?(?:class|function) (\w+)/gm)].map((m) => m[1]);
  const runtime = Object.keys(ordinance).filter((k) => k !== 'default');
  assert.deepEqual([...values].sort(), [...runtime].sort(), 'exported values');
  assert.doesNotMatch(dts, /:\s*any\b|<any>/, 'no `any`');
  // Each class body: its methods, getters/readonly fields and statics must exist at run time.
  for (const [, name, body] of dts.matchAll(/^export class (\w+)[^{\n]*\{(?:\}|\n([\s\S]*?)^\})/gm)) {
    const Class = ordinance[name];
    for (const [, isStatic, readonly, member, paren] of (body ?? '').matchAll(/^ {2}(static )?(readonly )?(\w+)\??(\()?/gm)) {
      if (member === 'constructor' || (member === 'private' && !paren)) continue;
      const where = isStatic ? Class : Class.prototype;
      if (readonly && !isStatic) continue; // instance fields: checked on instances below
      assert.ok(member in where, `${name}${isStatic ? '.' : '#'}${member} exists`);
      if (paren) assert.equal(typeof where[member], 'function', `${name}.${member} is a method`);
    }
  }
  const policyError = thrown(() => Engine.fromPolicy('permit x'));
  for (const field of ['file', 'line', 'column', 'code', 'help', 'diagnostics']) assert.ok(field in policyError, `PolicyError has ${field}`);
  const session = teamTasks.session(sessions.member);
  for (const field of ['userId', 'orgId']) assert.ok(field in session, `Session has ${field}`);
  const filter = teamTasks.filter(session, 'view', 'task', at);
  for (const field of ['kind', 'reason', 'resourceType', 'action']) assert.ok(field in filter, `Filter has ${field}`);
  // Optional parameters really are optional.
  assert.equal(typeof teamTasks.decide(sessions.personal, 'view', tasks.erinsOwn).allowed, 'boolean');
  assert.ok(Array.isArray(teamTasks.permittedActions(sessions.personal, tasks.erinsOwn)));
  assert.equal(typeof teamTasks.explain(sessions.personal, 'view', tasks.erinsOwn), 'string');
  assert.ok(Engine.fromPolicy(policyText('rooms.ord')) instanceof Engine);
});

// ---------------------------------------------------------------- decisions

test('decide returns exactly { allowed, reason, rule, missing }; `error` only for a deny caused by bad input', () => {
  const allow = teamTasks.decide(sessions.manager, 'delete', tasks.byBob, at);
  assert.deepEqual(Object.keys(allow), ['allowed', 'reason', 'rule', 'missing']);
  assert.deepEqual(allow, { allowed: true, reason: 'permit', rule: 'org_manage', missing: [] });
  const deny = teamTasks.decide(sessions.member, 'delete', tasks.byAlice, at);
  assert.deepEqual(Object.keys(deny), ['allowed', 'reason', 'rule', 'missing']);
  for (const m of deny.missing) assert.deepEqual(Object.keys(m), ['kind', 'name']);
  const forbid = teamTasks.decide(sessions.unlicensed, 'create', tasks.byDana, at);
  assert.deepEqual(Object.keys(forbid), ['allowed', 'reason', 'rule', 'missing']);
  const expired = teamTasks.decide(sessions.expired, 'view', tasks.byAlice, at);
  assert.deepEqual(expired, { allowed: false, reason: 'session_expired', rule: null, missing: [] });
  const bad = teamTasks.decide({ ...sessions.member, org_permissions: 'org:tasks:edit' }, 'view', tasks.byAlice, at);
  assert.deepEqual(Object.keys(bad), ['allowed', 'reason', 'rule', 'missing', 'error']);
  assert.equal(bad.allowed, false);
  assert.equal(typeof bad.error, 'string');
});

// The cases the CLI is asked too: every sample session (v1 and v2) on every task and action, a
// few times, the seed's licensing and OAuth-scope policies, and malformed input.
function differentialCases() {
  const cases = [];
  const people = { ...sessions, anonymous: {} };
  for (const [who, claims] of Object.entries(people)) {
    for (const token of [claims, v2(claims)]) {
      for (const resource of Object.values(tasks)) {
        for (const action of [...ACTIONS, 'archive']) {
          for (const now of [NOW, NOW + 3600]) cases.push({ policy: 'team_tasks.ord', name: who, claims: token, action, resource, now });
        }
      }
    }
  }
  const seat = (org_id, license_count, licensed_count, is_licensed) => ({ type: 'seat', org_id, license_count, licensed_count, is_licensed });
  const admin = { ...seedClaims, org_role: 'org:admin', org_permissions: ['org:sys_memberships:manage'] };
  for (const claims of [admin, v2({ ...admin, org_permissions: [] }), sessions.member, sessions.personal]) {
    for (const resource of [seat(ORG, 5, 3, false), seat(ORG, 5, 5, false), seat(ORG, 5, 3, true), seat('org_other', 5, 3, false), seat(ORG, 5.5, 3, false)]) {
      for (const action of ['assign', 'unassign']) cases.push({ policy: 'licensing.ord', claims, action, resource, now: NOW });
    }
  }
  const read = 'https://www.googleapis.com/auth/calendar.readonly';
  const events = 'https://www.googleapis.com/auth/calendar.events';
  for (const context of [undefined, { approved_scopes: read }, { approved_scopes: `${read} ${events}` }, { approved_scopes: [read, events] }, { approved_scopes: 7 }]) {
    for (const action of ['read_availability', 'book_direct']) {
      for (const resource of [{ type: 'calendar', owner_id: 'user_erin' }, { type: 'calendar', owner_id: 'user_x' }, { type: 'calendar' }]) {
        cases.push({ policy: 'calendar_scopes.ord', claims: sessions.personal, action, resource, now: NOW, ...(context && { context }) });
      }
    }
  }
  for (const [claims, resource] of [
    [null, tasks.byAlice],
    [[], tasks.byAlice],
    [{ sub: 7 }, tasks.byAlice],
    [{ ...sessions.member, exp: '1721770193' }, tasks.byAlice],
    [{ ...sessions.member, org_metadata: { isLicensed: 'yes' } }, tasks.byBob],
    [{ v: 2, sub: 'u', o: 'org_1' }, tasks.byAlice],
    [sessions.member, { owner_id: ORG }],
    [sessions.member, { type: 'task', owner_id: 7, created_by_id: 'x' }],
    [sessions.member, { type: 'project' }],
    [sessions.member, 'task'],
  ]) {
    cases.push({ policy: 'team_tasks.ord', claims, action: 'edit', resource, now: NOW });
  }
  return cases;
}

test('decide gives the same decision, byte for byte, as `ordinance decide` (objects, JSON text and a prepared Session)', needsCli, () => {
  const cases = differentialCases();
  const byPolicy = new Map();
  for (const c of cases) byPolicy.set(c.policy, [...(byPolicy.get(c.policy) ?? []), c]);
  const dir = mkdtempSync(join(tmpdir(), 'ordinance-cli-'));
  let compared = 0;
  try {
    for (const [policy, group] of byPolicy) {
      const requests = join(dir, `${policy}.jsonl`);
      writeFileSync(requests, group.map(({ claims, action, resource, context, now }) => JSON.stringify({ claims, action, resource, context, now })).join('\n') + '\n');
      const lines = execFileSync(cli, ['decide', '--policy', policyPath(policy), '--requests', requests], { encoding: 'utf8' }).trim().split('\n');
      assert.equal(lines.length, group.length);
      const engine = policy === 'team_tasks.ord' ? teamTasks : Engine.fromPolicy(policyText(policy), { file: policy });
      group.forEach((c, i) => {
        const options = { now: c.now, context: c.context };
        const what = JSON.stringify(c);
        const fromObjects = engine.decide(c.claims, c.action, c.resource, options);
        assert.equal(JSON.stringify(fromObjects), lines[i], what);
        const fromText = engine.decideJson(JSON.stringify(c.claims), c.action, JSON.stringify(c.resource), { now: c.now, context: c.context && JSON.stringify(c.context) });
        assert.equal(JSON.stringify(fromText), lines[i], `decideJson ${what}`);
        let session;
        try {
          session = engine.session(c.claims);
        } catch (e) {
          assert.ok(e instanceof ClaimsError, `session() of bad claims throws ClaimsError: ${what}`);
          assert.equal(JSON.parse(lines[i]).reason, 'invalid_claims', what);
        }
        if (session) assert.equal(JSON.stringify(engine.decide(session, c.action, c.resource, options)), lines[i], `Session ${what}`);
        compared++;
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.ok(compared > 1000, `${compared} decisions compared`);
});

test('explain and explainJson give what `ordinance explain` prints', needsCli, () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordinance-explain-'));
  try {
    for (const [claims, action, resource] of [
      [sessions.unlicensed, 'edit', tasks.byDana],
      [sessions.member, 'delete', tasks.byAlice],
      [sessions.personal, 'edit', tasks.erinsOwn],
      [sessions.expired, 'view', tasks.byAlice],
      [v2(sessions.viewer), 'archive', tasks.byAlice],
    ]) {
      writeFileSync(join(dir, 'c.json'), JSON.stringify(claims));
      writeFileSync(join(dir, 'r.json'), JSON.stringify(resource));
      const args = ['explain', '--policy', policyPath('team_tasks.ord'), '--claims', join(dir, 'c.json'), '--action', action, '--resource', join(dir, 'r.json'), '--now', String(NOW)];
      const what = JSON.stringify([claims.sub, action, resource.id]);
      assert.equal(teamTasks.explain(claims, action, resource, at), execFileSync(cli, args, { encoding: 'utf8' }), what);
      assert.deepEqual(teamTasks.explainJson(claims, action, resource, at), JSON.parse(execFileSync(cli, [...args, '--json'], { encoding: 'utf8' })), what);
      assert.deepEqual(teamTasks.explainJson(claims, action, resource, at).decision, teamTasks.decide(claims, action, resource, at), what);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------- the seed's scenarios

test("the issue's six sample sessions: permittedActions gates the buttons as the design brief says", () => {
  const all = ACTIONS;
  const expected = {
    // Alice manages every org task; Bob edits his own; Charlie only views; Dana has no seat
    // (views the org's tasks, keeps her personal ones); Erin has no organization; Frank's token expired.
    manager: { byAlice: all, byBob: all, byDana: all, otherOrg: [], bobsOwn: [] },
    member: { byAlice: ['view', 'create'], byBob: all, byDana: ['view', 'create'], otherOrg: [], bobsOwn: all },
    viewer: { byAlice: ['view'], byBob: ['view'], otherOrg: [], bobsOwn: [] },
    unlicensed: { byAlice: ['view'], byDana: ['view'], danasOwn: all, otherOrg: [] },
    personal: { byAlice: [], erinsOwn: all, bobsOwn: [] },
    expired: { byAlice: [], byBob: [], bobsOwn: [] },
  };
  for (const [who, rows] of Object.entries(expected)) {
    const session = teamTasks.session(sessions[who]);
    for (const [row, want] of Object.entries(rows)) {
      for (const claims of [sessions[who], session, v2(sessions[who])]) {
        assert.deepEqual(teamTasks.permittedActions(claims, tasks[row], at), want, `${who} on ${row}`);
      }
      // One call equals asking decide about each action.
      assert.deepEqual(
        ACTIONS.filter((a) => teamTasks.decide(session, a, tasks[row], at).allowed),
        want,
        `${who} on ${row}: decide agrees`,
      );
    }
  }
});

test("the 'missing' hint a disabled button shows: permission, license, OAuth scopes", () => {
  // Bob (member) on Alice's task: only org:tasks:manage would allow editing it.
  assert.deepEqual(teamTasks.decide(sessions.member, 'edit', tasks.byAlice, at).missing, [{ kind: 'permission', name: 'org:tasks:manage' }]);
  // Charlie (viewer) cannot add a task: he lacks org:tasks:edit.
  const create = teamTasks.decide(sessions.viewer, 'create', task(undefined, ORG, 'user_charlie'), at);
  assert.equal(create.allowed, false);
  assert.deepEqual(create.missing, [{ kind: 'permission', name: 'org:tasks:edit' }]);
  // Dana has the permission but no seat: the license is what is missing, and the reason says so.
  const seat = teamTasks.decide(sessions.unlicensed, 'complete', tasks.byDana, at);
  assert.equal(seat.reason, 'forbidden:license_required');
  assert.deepEqual(seat.missing, [{ kind: 'license', name: 'org.metadata.isLicensed' }]);
  // The same hint through a v2 token.
  assert.deepEqual(teamTasks.decide(v2(sessions.unlicensed), 'complete', tasks.byDana, at), seat);
  // Per-user OAuth scopes: the scopes to pass to reauthorize({ additionalScopes }).
  const calendar = Engine.fromPolicy(policyText('calendar_scopes.ord'));
  const read = 'https://www.googleapis.com/auth/calendar.readonly';
  const events = 'https://www.googleapis.com/auth/calendar.events';
  const cal = { type: 'calendar', owner_id: 'user_erin' };
  const noScopes = calendar.decide(sessions.personal, 'book_direct', cal, { now: NOW, context: { approved_scopes: '' } });
  assert.deepEqual(noScopes.missing, [{ kind: 'scope', name: read }, { kind: 'scope', name: events }]);
  const readOnly = calendar.decide(sessions.personal, 'book_direct', cal, { now: NOW, context: { approved_scopes: read } });
  assert.deepEqual(readOnly.missing.map((m) => m.name), [events]);
  assert.equal(calendar.decide(sessions.personal, 'book_direct', cal, { now: NOW, context: { approved_scopes: `${events} ${read}` } }).allowed, true);
  // One call gates both calendar buttons, with the scopes as the request context.
  assert.deepEqual(calendar.permittedActions(sessions.personal, cal, { now: NOW, context: { approved_scopes: read } }), ['read_availability']);
  assert.deepEqual(calendar.permittedActions(sessions.personal, cal, { now: NOW, context: { approved_scopes: [read, events] } }), ['read_availability', 'book_direct']);
  assert.deepEqual(calendar.permittedActions(sessions.personal, cal, at), []);
  // An allow has nothing missing.
  assert.deepEqual(teamTasks.decide(sessions.member, 'edit', tasks.byBob, at).missing, []);
});

test('personal vs organization account: a personal task is its owner\u2019s in any session; a seat only gates the org\u2019s tasks', () => {
  // Bob's personal task, with his organization active, and with none.
  const bobPersonal = personalClaims('user_bob');
  for (const claims of [sessions.member, bobPersonal, { ...sessions.member, org_metadata: { isLicensed: false } }]) {
    assert.deepEqual(teamTasks.permittedActions(claims, tasks.bobsOwn, at), ACTIONS, JSON.stringify(claims.org_id ?? null));
    assert.equal(teamTasks.decide(claims, 'delete', tasks.bobsOwn, at).rule, 'personal_task');
  }
  // Without an organization, the org's tasks are out of reach, whatever the claims say about
  // permissions elsewhere.
  assert.deepEqual(teamTasks.permittedActions(bobPersonal, tasks.byBob, at), []);
  // Another organization's task: nothing, even for a manager.
  assert.deepEqual(teamTasks.permittedActions(sessions.manager, tasks.otherOrg, at), []);
  // Ownership: someone else's personal task is never editable.
  assert.equal(teamTasks.decide(sessions.manager, 'view', tasks.bobsOwn, at).allowed, false);
  // A role alone (no org_permissions in the token) grants through the policy's role table.
  const roleOnly = { ...sessions.member, org_permissions: undefined };
  assert.deepEqual(teamTasks.permittedActions(roleOnly, tasks.byBob, at), ACTIONS);
  assert.deepEqual(teamTasks.permittedActions(roleOnly, tasks.byAlice, at), ['view', 'create']);
});

test('Clerk v2 tokens decide exactly as the v1 tokens of the same people', () => {
  for (const [who, claims] of Object.entries(sessions)) {
    const token = v2(claims);
    assert.equal(token.v, 2);
    assert.equal(teamTasks.session(token).orgId, claims.org_id ?? null, who);
    assert.equal(teamTasks.session(token).userId, claims.sub, who);
    for (const resource of Object.values(tasks)) {
      for (const action of ACTIONS) {
        assert.deepEqual(teamTasks.decide(token, action, resource, at), teamTasks.decide(claims, action, resource, at), `${who} ${action} ${resource.id}`);
      }
    }
  }
  // A v2 token that mixes in v1 organization claims is refused, never guessed at.
  assert.equal(teamTasks.decide({ ...v2(sessions.manager), org_id: ORG }, 'view', tasks.byAlice, at).reason, 'invalid_claims');
  assert.throws(() => teamTasks.session({ ...v2(sessions.manager), org_id: ORG }), ClaimsError);
});

// ---------------------------------------------------------------- errors and bad input

test('policy errors: PolicyError (an Error and an OrdinanceError) with the line and column `ordinance check` reports', needsCli, () => {
  const broken = [
    'resource task { owner_id: string }\naction view on task\npermit view on task when resource.owner = user.id',
    'permission org:tasks:view "View"\nrole org:viewer = [org:tasks:vew]\nresource task {}\naction view on task\npermit view on task',
    'resource task { n: int }\naction view on task\n\npermit view on task\n  when resource.n == "1"',
    'resource task {}\naction view on task\npermit view on task when has(org:tasks:nope)',
    'resource task {}\naction view on task\n// caf\u00e9 \u2615\npermit view on task when resource.\u00e9',
    'permit view on',
  ];
  const dir = mkdtempSync(join(tmpdir(), 'ordinance-check-'));
  try {
    broken.forEach((text, i) => {
      const file = join(dir, `broken${i}.ord`);
      writeFileSync(file, text);
      const run = spawnSync(cli, ['check', file], { encoding: 'utf8' });
      assert.notEqual(run.status, 0, `the CLI refuses policy ${i}`);
      const located = [...(run.stdout + run.stderr).matchAll(/broken\d\.ord:(\d+):(\d+): error/g)].map((m) => [Number(m[1]), Number(m[2])]);
      assert.ok(located.length > 0, `the CLI locates the problem of policy ${i}`);
      const error = thrown(() => Engine.fromPolicy(text, { file: `broken${i}.ord` }));
      assert.ok(error instanceof Error && error instanceof OrdinanceError && error instanceof PolicyError, `policy ${i}: ${error}`);
      assert.equal(error.name, 'PolicyError');
      assert.deepEqual([error.line, error.column], located[0], `policy ${i}`);
      assert.deepEqual(error.diagnostics.map((d) => [d.line, d.column]), located, `policy ${i}: every diagnostic`);
      assert.ok(error.message.startsWith(`broken${i}.ord:${error.line}:${error.column}: error: `), error.message);
      assert.equal(typeof error.code, 'string');
      assert.ok(error.stack.includes('PolicyError'), 'a stack trace names the class');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  // Without a file name, errors name the policy `policy`.
  assert.equal(thrown(() => Engine.fromPolicy('permit view on')).file, 'policy');
});

test('malformed input: decide denies with a clear error; the other calls throw the specific Error subclass', () => {
  const badClaims = [null, 'user_bob', 42, [], { sub: 7 }, { ...sessions.member, exp: 'tomorrow' }, { ...sessions.member, org_permissions: 'org:tasks:manage' }, { v: 2, o: { rol: 'admin' } }];
  for (const claims of badClaims) {
    const what = JSON.stringify(claims);
    const d = teamTasks.decide(claims, 'edit', tasks.byBob, at);
    assert.equal(d.allowed, false, what);
    assert.equal(d.reason, 'invalid_claims', what);
    assert.match(d.error, /^invalid claims: /, what);
    assert.equal(teamTasks.decideJson(JSON.stringify(claims), 'edit', JSON.stringify(tasks.byBob), at).reason, 'invalid_claims', what);
    for (const call of [() => teamTasks.session(claims), () => teamTasks.permittedActions(claims, tasks.byBob, at), () => teamTasks.explain(claims, 'edit', tasks.byBob, at), () => new Session(claims)]) {
      const e = thrown(call);
      assert.ok(e instanceof ClaimsError && e instanceof OrdinanceError && e instanceof Error, `${what}: ${e}`);
      assert.equal(e.name, 'ClaimsError');
      assert.match(e.message, /^invalid claims: /);
    }
  }
  const badResources = [null, 'task', { id: 't1' }, { type: 7 }, { type: 'task', id: 42, owner_id: ORG, created_by_id: 'x' }];
  for (const resource of badResources) {
    const what = JSON.stringify(resource);
    const d = teamTasks.decide(sessions.manager, 'view', resource, at);
    assert.deepEqual([d.allowed, d.reason], [false, 'invalid_resource'], what);
    assert.match(d.error, /^invalid resource: /, what);
    for (const call of [() => teamTasks.permittedActions(sessions.manager, resource, at), () => teamTasks.explain(sessions.manager, 'view', resource, at)]) {
      const e = thrown(call);
      assert.ok(e instanceof RequestError && e instanceof OrdinanceError && e instanceof Error, `${what}: ${e}`);
      assert.equal(e.name, 'RequestError');
    }
  }
  // An attribute of the wrong type for its declaration (documented in index.d.ts): decide
  // denies it as invalid_resource, permittedActions gives no action, explain shows the deny.
  const wrongType = { type: 'task', owner_id: ORG, created_by_id: 7 };
  assert.equal(teamTasks.decide(sessions.manager, 'view', wrongType, at).reason, 'invalid_resource');
  assert.deepEqual(teamTasks.permittedActions(sessions.manager, wrongType, at), []);
  assert.match(teamTasks.explain(sessions.manager, 'view', wrongType, at), /^decision: DENY \(invalid_resource\)/);
  // An action the policy does not declare: a deny that says so, for every session.
  for (const claims of [sessions.manager, teamTasks.session(sessions.manager)]) {
    const d = teamTasks.decide(claims, 'archive', tasks.byBob, at);
    assert.deepEqual([d.allowed, d.reason, d.rule, d.missing], [false, 'unknown_action', null, []]);
    assert.match(d.error, /archive/);
  }
  // An unknown resource type: a deny, and no permitted action.
  assert.equal(teamTasks.decide(sessions.manager, 'view', { type: 'project' }, at).reason, 'unknown_resource_type');
  assert.deepEqual(teamTasks.permittedActions(sessions.manager, { type: 'project' }, at), []);
  // An expired or not-yet-valid token is valid input: a session can be made, and every
  // decision on it is a deny with its own reason.
  const expired = teamTasks.session(sessions.expired);
  assert.ok(expired instanceof Session);
  assert.equal(teamTasks.decide(expired, 'view', tasks.byAlice, at).reason, 'session_expired');
  assert.deepEqual(teamTasks.permittedActions(expired, tasks.byAlice, at), []);
  assert.equal(teamTasks.decide(sessions.manager, 'view', tasks.byAlice, { now: seedClaims.nbf - 60 }).reason, 'session_not_yet_valid');
  // Without `now`, the clock decides: the seed's token expired in 2024.
  assert.equal(teamTasks.decide(sessions.manager, 'view', tasks.byAlice).reason, 'session_expired');
  // Arguments that are not data throw RequestError.
  assert.ok(thrown(() => teamTasks.decide(sessions.manager, 7, tasks.byAlice, at)) instanceof RequestError);
  assert.ok(thrown(() => teamTasks.decide(sessions.manager, 'view', tasks.byAlice, { now: '1721770150' })) instanceof RequestError);
  assert.ok(thrown(() => teamTasks.decide(sessions.manager, 'view', tasks.byAlice, { now: Date.now() / 1000 })) instanceof RequestError);
});

test('options must be an options object: `now` passed in its place is refused, not ignored', () => {
  // decide(claims, action, resource, NOW) would otherwise decide at the clock's time.
  for (const options of [NOW, 'now', true]) {
    for (const call of [
      () => teamTasks.decide(sessions.manager, 'view', tasks.byAlice, options),
      () => teamTasks.decideJson(JSON.stringify(sessions.manager), 'view', JSON.stringify(tasks.byAlice), options),
      () => teamTasks.permittedActions(sessions.manager, tasks.byAlice, options),
      () => teamTasks.explain(sessions.manager, 'view', tasks.byAlice, options),
      () => teamTasks.explainJson(sessions.manager, 'view', tasks.byAlice, options),
      () => teamTasks.filter(sessions.manager, 'view', 'task', options),
    ]) {
      const e = thrown(call);
      assert.ok(e instanceof RequestError, `${JSON.stringify(options)}: ${e}`);
      assert.match(e.message, /options/);
    }
  }
  // The same for the options of fromPolicy and toSql.
  const doc = 'resource d {}\naction r on d\npermit r on d';
  for (const call of [() => Engine.fromPolicy(doc, 'docs.ord'), () => new Engine(doc, 7), () => teamTasks.filter(sessions.manager, 'view', 'task', at).toSql(3)]) {
    assert.ok(thrown(call) instanceof RequestError);
  }
  // undefined and null mean "no options".
  for (const options of [undefined, null]) {
    assert.equal(teamTasks.decide(sessions.personal, 'view', tasks.erinsOwn, options).reason, 'session_expired');
    assert.deepEqual(teamTasks.permittedActions(sessions.personal, tasks.erinsOwn, options), []);
  }
});

// ---------------------------------------------------------------- the prepared session

test('a prepared Session: made once from claims or their JSON text, decides as the claims, reusable across engines', () => {
  const session = teamTasks.session(sessions.member);
  assert.ok(session instanceof Session);
  assert.equal(session.userId, 'user_bob');
  assert.equal(session.orgId, ORG);
  const fromText = teamTasks.session(JSON.stringify(sessions.member));
  const direct = new Session(sessions.member);
  for (const resource of Object.values(tasks)) {
    for (const action of ACTIONS) {
      const want = teamTasks.decide(sessions.member, action, resource, at);
      assert.deepEqual(teamTasks.decide(session, action, resource, at), want);
      assert.deepEqual(teamTasks.decide(fromText, action, resource, at), want);
      assert.deepEqual(teamTasks.decide(direct, action, resource, at), want);
    }
  }
  assert.equal(teamTasks.session(sessions.personal).orgId, null);
  assert.equal(teamTasks.session({}).userId, null);
  // The session does not depend on the engine that made it.
  const rooms = Engine.fromPolicy(policyText('rooms.ord'));
  assert.deepEqual(rooms.permittedActions(session, { type: 'room', owner_id: ORG }, at), rooms.permittedActions(sessions.member, { type: 'room', owner_id: ORG }, at));
});

test('fromPolicy: a `file` option that is not a string is a RequestError (never a trap of the wasm instance)', () => {
  const doc = 'resource d {}\naction r on d\npermit r on d';
  for (const file of [5, {}, ['a.ord'], true]) {
    const e = thrown(() => Engine.fromPolicy(doc, { file }));
    assert.ok(e instanceof RequestError, `${JSON.stringify(file)}: ${e}`);
    assert.match(e.message, /`file`/);
  }
  assert.equal(Engine.fromPolicy(doc, { file: null }).decide({}, 'r', { type: 'd' }, at).rule, 'policy:3');
  assert.equal(Engine.fromPolicy(doc, { file: 'docs.ord' }).decide({}, 'r', { type: 'd' }, at).rule, 'docs.ord:3');
});

test('engine.session(session) and new Session(session) keep the session\u2019s identity (not an anonymous session)', () => {
  const session = teamTasks.session(sessions.manager);
  for (const again of [teamTasks.session(session), new Session(session)]) {
    assert.ok(again instanceof Session);
    assert.equal(again.userId, 'user_alice');
    assert.equal(again.orgId, ORG);
    assert.deepEqual(teamTasks.permittedActions(again, tasks.byBob, at), ACTIONS);
  }
});

// ---------------------------------------------------------------- the web build

test('the web build: init() from a URL fetch, concurrent init() calls, and a retry after a failed init', () => {
  // In a process of its own: the web build's wasm-bindgen module is loaded once per process,
  // and the other tests of this file may have initialized it already.
  const script = `
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
const web = await import(${JSON.stringify(new URL('../pkg-web/index.js', import.meta.url).href)});
const bytes = readFileSync(${JSON.stringify(join(here, 'pkg-web', 'ordinance_wasm_bg.wasm'))});
// A failed load rejects, and leaves the package ready for another try.
await assert.rejects(web.init(new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9, 9, 9])));
assert.throws(() => web.Engine.fromPolicy('resource d {}'), web.OrdinanceError);
// A page served the .wasm over HTTP: init(url) fetches it. Two calls at once load it once.
let fetched = 0;
const url = 'http://127.0.0.1/assets/ordinance_wasm_bg.wasm';
globalThis.fetch = async (u) => {
  fetched++;
  assert.equal(String(u), url);
  return new Response(bytes, { headers: { 'content-type': 'application/wasm' } });
};
await Promise.all([web.init(url), web.init(url)]);
await web.init(); // already loaded: no fetch of the default URL
assert.equal(fetched, 1);
const engine = web.Engine.fromPolicy(${JSON.stringify(policyText('team_tasks.ord'))});
console.log(JSON.stringify([engine.permittedActions(${JSON.stringify(sessions.member)}, ${JSON.stringify(tasks.byAlice)}, { now: ${NOW} }),
  engine.decide(${JSON.stringify(sessions.member)}, 'edit', ${JSON.stringify(tasks.byAlice)}, { now: ${NOW} })]));
`;
  const out = execFileSync('node', ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.deepEqual(JSON.parse(out), [['view', 'create'], teamTasks.decide(sessions.member, 'edit', tasks.byAlice, at)]);
});

test('error names survive a minifier that renames the classes (production bundles)', () => {
  // The Node build with every class identifier renamed, as esbuild or terser do to a bundle,
  // run in a process of its own (it shares the wasm instance of the build it was made from).
  const classes = ['OrdinanceError', 'PolicyError', 'ClaimsError', 'RequestError', 'InternalError', 'Engine', 'Session', 'Filter'];
  let source = readFileSync(join(here, 'pkg-node', 'index.cjs'), 'utf8');
  classes.forEach((name, i) => {
    source = source.replace(new RegExp(`(?<![\\w'"\`.])${name}(?![\\w'"\`])`, 'g'), `m${i}`);
  });
  assert.doesNotMatch(source, /class (OrdinanceError|PolicyError|ClaimsError)\b/, 'renamed');
  const script = `
const { createRequire } = require('node:module');
const dir = ${JSON.stringify(join(here, 'pkg-node'))};
const module_ = { exports: {} };
new Function('require', 'module', 'exports', '__dirname', ${JSON.stringify(source)})(createRequire(dir + '/index.cjs'), module_, module_.exports, dir);
const m = module_.exports;
const names = [];
const catchName = (f) => { try { f(); } catch (e) { names.push([e.name, String(e).split(':')[0], e instanceof m.OrdinanceError]); } };
catchName(() => m.Engine.fromPolicy('permit x'));
const engine = m.Engine.fromPolicy('resource d {}\\naction r on d\\npermit r on d');
catchName(() => engine.session({ sub: 1 }));
catchName(() => engine.decide({}, 1, { type: 'd' }));
catchName(() => engine._panicForTests());
class Mine extends m.PolicyError {}
names.push([new Mine('x', []).name]);
console.log(JSON.stringify(names));
`;
  const out = JSON.parse(execFileSync('node', ['-e', script], { encoding: 'utf8' }));
  assert.deepEqual(out, [
    ['PolicyError', 'PolicyError', true],
    ['ClaimsError', 'ClaimsError', true],
    ['RequestError', 'RequestError', true],
    ['InternalError', 'InternalError', true],
    ['Mine'],
  ]);
});

test('the error classes are distinct and all derive from OrdinanceError and Error', () => {
  const classes = [PolicyError, ClaimsError, RequestError, InternalError];
  for (const C of classes) {
    assert.ok(C.prototype instanceof OrdinanceError, C.name);
    for (const D of classes) if (C !== D) assert.ok(!(C.prototype instanceof D), `${C.name} is not a ${D.name}`);
  }
  assert.ok(OrdinanceError.prototype instanceof Error);
  assert.ok(Filter.prototype && typeof Filter === 'function');
});
