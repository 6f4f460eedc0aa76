// The web build (pkg-web, an ES module that needs `await init()`), run in Node: the browser
// test covers it in Chromium, this covers its init and panic recovery without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const pkg = new URL('../pkg-web/', import.meta.url);
const teamTasks = readFileSync(fileURLToPath(new URL('../../../policies/team_tasks.ord', import.meta.url)), 'utf8');
const NOW = 1721770150;
const viewer = { sub: 'user_c', org_id: 'org_1', org_role: 'org:viewer', org_permissions: ['org:tasks:view'], org_metadata: { isLicensed: true } };
const task = { type: 'task', owner_id: 'org_1', created_by_id: 'user_a' };

test('the web build: init, decide, errors, panic recovery', async () => {
  const web = await import(new URL('index.js', pkg).href);
  assert.throws(() => web.Engine.fromPolicy(teamTasks), (e) => e instanceof web.OrdinanceError && /await init\(\)/.test(e.message));
  await web.init(readFileSync(fileURLToPath(new URL('ordinance_wasm_bg.wasm', pkg))));
  await web.init(); // a second call is a no-op (it would otherwise fetch)
  const engine = web.Engine.fromPolicy(teamTasks);
  assert.deepEqual(engine.permittedActions(viewer, task, { now: NOW }), ['view']);
  assert.deepEqual(engine.decide(viewer, 'delete', task, { now: NOW }).missing, [{ kind: 'permission', name: 'org:tasks:manage' }]);
  const session = engine.session(viewer);
  assert.throws(() => engine._panicForTests('web'), (e) => e instanceof web.InternalError && /deliberate panic for tests: web/.test(e.message));
  assert.deepEqual(engine.permittedActions(session, task, { now: NOW }), ['view']);
  assert.throws(() => web.Engine.fromPolicy('permit x'), (e) => e instanceof web.PolicyError && e.line === 1);
  assert.throws(() => engine.session({ sub: 1 }), web.ClaimsError);
  assert.throws(() => engine.permittedActions(viewer, {}, { now: NOW }), web.RequestError);
});
