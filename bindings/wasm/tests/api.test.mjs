// Every exported function and error of ordinance-wasm (the Node build, loaded through the
// package's own `exports` map). Run: node --test bindings/wasm/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  init,
  Engine,
  Session,
  Filter,
  OrdinanceError,
  PolicyError,
  ClaimsError,
  RequestError,
  InternalError,
} from 'ordinance-wasm';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const policy = (name) => readFileSync(`${root}policies/${name}`, 'utf8');
const teamTasks = policy('team_tasks.ord');
const engine = Engine.fromPolicy(teamTasks, { file: 'team_tasks.ord' });

const NOW = 1721770150;
const at = { now: NOW };
const member = (extra = {}) => ({
  sub: 'user_bob',
  sid: 'sess_bob',
  iat: NOW - 17,
  nbf: NOW - 27,
  exp: NOW + 43,
  org_id: 'org_team',
  org_role: 'org:member',
  org_permissions: ['org:tasks:view', 'org:tasks:edit'],
  org_metadata: { isLicensed: true },
  ...extra,
});
const manager = member({ sub: 'user_alice', org_role: 'org:manager', org_permissions: ['org:tasks:view', 'org:tasks:edit', 'org:tasks:manage'] });
const orgTask = { type: 'task', id: 't1', owner_id: 'org_team', created_by_id: 'user_alice' };
const ownOrgTask = { type: 'task', owner_id: 'org_team', created_by_id: 'user_bob' };
const personalTask = { type: 'task', owner_id: 'user_bob', created_by_id: 'user_bob' };

test('init resolves in Node (the module loads at require time)', async () => {
  assert.equal(await init(), undefined);
});

test('Engine.fromPolicy and new Engine compile a policy', () => {
  assert.ok(engine instanceof Engine);
  const direct = new Engine('resource doc {}\naction read on doc\npermit read on doc');
  assert.equal(direct.decide({ sub: 'u' }, 'read', { type: 'doc' }, at).rule, 'policy:3');
  const named = Engine.fromPolicy('resource doc {}\naction read on doc\npermit read on doc', { file: 'docs.ord' });
  assert.equal(named.decide({ sub: 'u' }, 'read', { type: 'doc' }, at).rule, 'docs.ord:3');
  assert.throws(() => Engine.fromPolicy(42), TypeError);
});

test('decide: allow, deny with the missing requirement, forbid with its reason', () => {
  assert.deepEqual(engine.decide(manager, 'edit', orgTask, at), {
    allowed: true,
    reason: 'permit',
    rule: 'org_manage',
    missing: [],
  });
  assert.deepEqual(engine.decide(member(), 'edit', orgTask, at), {
    allowed: false,
    reason: 'no_matching_rule',
    rule: null,
    missing: [{ kind: 'permission', name: 'org:tasks:manage' }],
  });
  assert.deepEqual(engine.decide(member(), 'edit', ownOrgTask, at).rule, 'org_edit_own');
  const unlicensed = engine.decide(member({ org_metadata: { isLicensed: false } }), 'create', orgTask, at);
  assert.equal(unlicensed.allowed, false);
  assert.equal(unlicensed.reason, 'forbidden:license_required');
  assert.equal(unlicensed.rule, 'license_required');
  assert.deepEqual(unlicensed.missing, [{ kind: 'license', name: 'org.metadata.isLicensed' }]);
  assert.equal(engine.decide(member({ org_metadata: { isLicensed: false } }), 'view', orgTask, at).allowed, true);
  assert.equal(engine.decide(member({ org_id: 'org_other' }), 'view', orgTask, at).allowed, false);
  assert.equal(engine.decide(member({ org_id: undefined, org_role: undefined, org_permissions: undefined, org_metadata: undefined }), 'delete', personalTask, at).rule, 'personal_task');
});

test('decide: time, bad input and unknown names are denies, not exceptions', () => {
  const reason = (claims, action, resource, options = at) => engine.decide(claims, action, resource, options).reason;
  assert.equal(reason(member(), 'view', orgTask, { now: NOW + 3600 }), 'session_expired');
  assert.equal(reason(member(), 'view', orgTask, { now: NOW - 3600 }), 'session_not_yet_valid');
  // Without `now`, the clock is Date.now(): these claims expired in 2024.
  assert.equal(reason(member(), 'view', orgTask, {}), 'session_expired');
  assert.equal(reason(member({ exp: Math.floor(Date.now() / 1000) + 600, nbf: undefined, iat: undefined }), 'view', orgTask, undefined), 'permit');
  const badClaims = engine.decide(member({ org_permissions: 'org:tasks:view' }), 'view', orgTask, at);
  assert.equal(badClaims.reason, 'invalid_claims');
  assert.match(badClaims.error, /org_permissions/);
  assert.equal(reason(member({ org_metadata: { isLicensed: 'true' } }), 'create', orgTask), 'invalid_claims');
  assert.equal(reason(null, 'view', orgTask), 'invalid_claims');
  assert.equal(reason(undefined, 'view', orgTask), 'invalid_claims');
  assert.equal(reason([], 'view', orgTask), 'invalid_claims');
  assert.equal(reason(member(), 'view', { owner_id: 'org_team' }), 'invalid_resource');
  assert.equal(reason(member(), 'view', { type: 'task', owner_id: 7, created_by_id: 'x' }), 'invalid_resource');
  assert.equal(reason(member(), 'view', 'task'), 'invalid_resource');
  assert.equal(reason(member(), 'view', orgTask, { now: NOW, context: [1] }), 'invalid_context');
  assert.equal(reason(member(), 'archive', orgTask), 'unknown_action');
  assert.equal(reason(member(), 'view', { type: 'project' }), 'unknown_resource_type');
  assert.equal(engine.decide(member(), 'archive', orgTask, at).error, 'the policy declares no action `archive` on `task`');
});

test('decide: the context reaches conditions', () => {
  const calendar = Engine.fromPolicy(policy('calendar_scopes.ord'));
  const read = 'https://www.googleapis.com/auth/calendar.readonly';
  const events = 'https://www.googleapis.com/auth/calendar.events';
  const user = { sub: 'user_1' };
  const cal = { type: 'calendar', owner_id: 'user_1' };
  assert.equal(calendar.decide(user, 'book_direct', cal, { now: NOW, context: { approved_scopes: `${read} ${events}` } }).allowed, true);
  const deny = calendar.decide(user, 'book_direct', cal, { now: NOW, context: { approved_scopes: [read] } });
  assert.deepEqual(deny.missing, [{ kind: 'scope', name: events }]);
  assert.equal(calendar.decide(user, 'read_availability', cal, at).allowed, false);
});

test('decide rejects arguments that are not data with RequestError / ClaimsError', () => {
  assert.throws(() => engine.decide(member(), 42, orgTask, at), RequestError);
  assert.throws(() => engine.decide(member(), 'view', orgTask, { now: 1.5 }), (e) => e instanceof RequestError && /`now`/.test(e.message));
  assert.throws(() => engine.decide(member(), 'view', orgTask, { now: '1721770150' }), RequestError);
  assert.throws(() => engine.decide(member({ exp: 10n }), 'view', orgTask, at), ClaimsError);
  const cyclic = { type: 'task' };
  cyclic.self = cyclic;
  assert.throws(() => engine.decide(member(), 'view', cyclic, at), (e) => e instanceof RequestError && /invalid resource/.test(e.message));
  assert.throws(() => engine.decide(member(), 'view', orgTask, { now: NOW, context: { n: 1n } }), RequestError);
});

test('decideJson takes JSON text and gives the same decisions as decide', () => {
  for (const [claims, action, resource] of [
    [manager, 'delete', orgTask],
    [member(), 'delete', orgTask],
    [member({ org_metadata: {} }), 'complete', ownOrgTask],
    [member(), 'view', personalTask],
  ]) {
    assert.deepEqual(engine.decideJson(JSON.stringify(claims), action, JSON.stringify(resource), at), engine.decide(claims, action, resource, at));
  }
  assert.equal(engine.decideJson('{"sub": "a", "sub": "b"}', 'view', JSON.stringify(personalTask), at).reason, 'invalid_claims');
  assert.equal(engine.decideJson('not json', 'view', '{}', at).reason, 'invalid_claims');
  assert.equal(engine.decideJson('{}', 'view', '{"type":', at).reason, 'invalid_resource');
  assert.equal(engine.decideJson('{}', 'view', JSON.stringify(orgTask), { now: NOW, context: '[' }).reason, 'invalid_context');
  const calendar = Engine.fromPolicy(policy('calendar_scopes.ord'));
  const context = '{"approved_scopes": "https://www.googleapis.com/auth/calendar.readonly"}';
  assert.equal(calendar.decideJson('{"sub":"u"}', 'read_availability', '{"type":"calendar"}', { now: NOW, context }).allowed, true);
  assert.equal(calendar.decideJson('{"sub":"u"}', 'read_availability', '{"type":"calendar"}', { now: NOW, context: JSON.parse(context) }).allowed, true);
  assert.throws(() => engine.decideJson({ sub: 'u' }, 'view', '{}', at), RequestError);
  assert.throws(() => engine.decideJson('{}', 'view', { type: 'task' }, at), RequestError);
});

test('permittedActions gives every allowed action in declaration order', () => {
  assert.deepEqual(engine.permittedActions(manager, orgTask, at), ['view', 'create', 'edit', 'complete', 'delete']);
  assert.deepEqual(engine.permittedActions(member(), orgTask, at), ['view', 'create']);
  assert.deepEqual(engine.permittedActions(member(), ownOrgTask, at), ['view', 'create', 'edit', 'complete', 'delete']);
  assert.deepEqual(engine.permittedActions(member({ org_metadata: { isLicensed: false } }), ownOrgTask, at), ['view']);
  assert.deepEqual(engine.permittedActions(member(), orgTask, { now: NOW + 3600 }), []);
  assert.deepEqual(engine.permittedActions(member(), { type: 'project' }, at), []);
  assert.throws(() => engine.permittedActions({ sub: 1 }, orgTask, at), (e) => e instanceof ClaimsError && e.message === 'invalid claims: claim `sub` must be a string, found a number');
  assert.throws(() => engine.permittedActions(member(), { id: 'x' }, at), (e) => e instanceof RequestError && e.message === 'invalid resource: field `type` is missing');
  assert.throws(() => engine.permittedActions(member(), orgTask, { now: NOW, context: 'x' }), RequestError);
});

test('explain and explainJson give the trace', () => {
  const text = engine.explain(member(), 'edit', orgTask, at);
  assert.match(text, /^decision: DENY \(no_matching_rule\)/);
  assert.match(text, /has\(org:tasks:manage\) = false/);
  const data = engine.explainJson(member(), 'edit', orgTask, at);
  assert.deepEqual(data.decision, engine.decide(member(), 'edit', orgTask, at));
  const manage = data.rules.find((r) => r.id === 'org_manage');
  assert.equal(manage.effect, 'permit');
  assert.equal(manage.outcome, 'no match');
  assert.deepEqual(manage.steps.at(-1), ['has(org:tasks:manage)', 'false']);
  const session = engine.session(member());
  assert.equal(engine.explain(session, 'edit', orgTask, at), text);
  assert.deepEqual(engine.explainJson(session, 'edit', orgTask, at), data);
  assert.throws(() => engine.explain({ exp: 'soon' }, 'edit', orgTask, at), ClaimsError);
  assert.throws(() => engine.explainJson(member(), 'edit', {}, at), RequestError);
  assert.throws(() => engine.explain(member(), null, orgTask, at), RequestError);
});

test('a prepared Session decides exactly as the claims do', () => {
  const claimsList = [manager, member(), member({ org_metadata: {} }), member({ org_role: 'org:viewer', org_permissions: ['org:tasks:view'] }), { sub: 'user_bob' }, {}];
  const resources = [orgTask, ownOrgTask, personalTask, { type: 'task', owner_id: 'org_x', created_by_id: 'user_bob' }, { type: 'task' }, { type: 'project' }, null];
  const actions = ['view', 'create', 'edit', 'complete', 'delete', 'archive'];
  const contexts = [undefined, { any: 1 }, 'not an object'];
  for (const claims of claimsList) {
    const session = engine.session(claims);
    assert.ok(session instanceof Session);
    for (const resource of resources) {
      for (const action of actions) {
        for (const now of [NOW, NOW + 3600]) {
          for (const context of contexts) {
            const options = { now, context };
            const plain = engine.decideJson(JSON.stringify(claims), action, JSON.stringify(resource), { now, context: context === undefined ? undefined : JSON.stringify(context) });
            const what = JSON.stringify([claims, action, resource, options]);
            assert.deepEqual(engine.decide(session, action, resource, options), plain, what);
            assert.deepEqual(engine.decide(claims, action, resource, options), plain, what);
          }
        }
      }
      if (resource && resource.type) assert.deepEqual(engine.permittedActions(session, resource, at), engine.permittedActions(claims, resource, at));
    }
  }
});

test('claims objects: a changed object is never answered from the cache', () => {
  const claims = member();
  assert.equal(engine.decide(claims, 'delete', orgTask, at).allowed, false);
  claims.org_permissions = [...claims.org_permissions, 'org:tasks:manage'];
  assert.equal(engine.decide(claims, 'delete', orgTask, at).rule, 'org_manage');
  claims.org_metadata.isLicensed = false;
  assert.equal(engine.decide(claims, 'delete', orgTask, at).reason, 'forbidden:license_required');
  claims.org_metadata.isLicensed = 'yes';
  assert.equal(engine.decide(claims, 'delete', orgTask, at).reason, 'invalid_claims');
  assert.deepEqual(engine.permittedActions(claims, orgTask, at), []);
  claims.sub = 5;
  assert.equal(engine.decide(claims, 'view', orgTask, at).reason, 'invalid_claims');
  assert.throws(() => engine.permittedActions(claims, orgTask, at), ClaimsError);
  // More distinct claims than the cache holds, twice round: every answer still right.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 40; i++) {
      const c = member({ sub: `user_${i}`, org_role: i % 2 ? 'org:manager' : 'org:member', org_permissions: [] });
      assert.equal(engine.decide(c, 'delete', orgTask, at).allowed, i % 2 === 1, `user_${i}`);
      assert.equal(engine.permittedActions(c, orgTask, at).length, i % 2 ? 5 : 2);
    }
  }
});

test('Session: construction, accessors, JSON text, errors, free', () => {
  const session = engine.session(member());
  assert.equal(session.userId, 'user_bob');
  assert.equal(session.orgId, 'org_team');
  const anonymous = new Session({});
  assert.equal(anonymous.userId, null);
  assert.equal(anonymous.orgId, null);
  assert.equal(engine.session(JSON.stringify(manager)).userId, 'user_alice');
  assert.throws(() => engine.session({ org_permissions: 'x' }), ClaimsError);
  assert.throws(() => engine.session('{"sub": "a", "sub": "b"}'), (e) => e instanceof ClaimsError && /duplicate/.test(e.message));
  assert.throws(() => engine.session(null), ClaimsError);
  session.free();
  session.free();
  assert.equal(engine.decide(session, 'view', orgTask, at).allowed, true, 'a freed session rebuilds on use');
  // A session is not tied to the engine that made it.
  const rooms = Engine.fromPolicy(policy('rooms.ord'));
  assert.equal(rooms.decide(session, 'enter', { type: 'room', owner_id: 'org_team' }, at).allowed, true);
});

test('Engine.free releases the wasm object; the engine rebuilds on next use', () => {
  const e = Engine.fromPolicy(teamTasks);
  e.free();
  e.free();
  assert.equal(e.decide(manager, 'delete', orgTask, at).allowed, true);
});

test('filter: the residual as data and as SQL', () => {
  const view = engine.filter(member(), 'view', 'task', at);
  assert.ok(view instanceof Filter);
  assert.equal(view.kind, 'condition');
  assert.equal(view.reason, null);
  assert.equal(view.resourceType, 'task');
  assert.equal(view.action, 'view');
  const data = view.toJSON();
  assert.deepEqual(data.required, ['owner_id', 'created_by_id']);
  assert.equal(data.condition.op, 'or');
  assert.deepEqual(JSON.parse(JSON.stringify(view)), data);
  data.kind = 'changed';
  assert.equal(view.toJSON().kind, 'condition', 'toJSON gives a copy');
  assert.deepEqual(view.toSql(), {
    sql: '"owner_id" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("owner_id" = $1::text OR "owner_id" = $2::text)',
    params: ['user_bob', 'org_team'],
  });
  assert.deepEqual(view.toSql({ columns: { owner_id: 't.owner' }, firstParam: 3 }).sql, '"t"."owner" IS NOT NULL AND "created_by_id" IS NOT NULL AND ("t"."owner" = $3::text OR "t"."owner" = $4::text)');
  const session = engine.session(manager);
  assert.deepEqual(engine.filter(session, 'delete', 'task', at).toJSON(), engine.filter(manager, 'delete', 'task', at).toJSON());
  const expired = engine.filter(member(), 'view', 'task', { now: NOW + 3600 });
  assert.equal(expired.kind, 'never');
  assert.equal(expired.reason, 'session_expired');
  assert.deepEqual(expired.toSql(), { sql: 'FALSE', params: [] });
  assert.throws(() => engine.filter(member(), 'archive', 'task', at), (e) => e instanceof RequestError && e.code === 'unknown_action' && e.message === 'the policy declares no action `archive` on `task`');
  assert.throws(() => engine.filter(member(), 'view', 'project', at), (e) => e instanceof RequestError && e.code === 'unknown_resource_type');
  assert.throws(() => engine.filter({ sub: 1 }, 'view', 'task', at), ClaimsError);
  assert.throws(() => engine.filter(member(), 'view', 7, at), RequestError);
  assert.throws(() => view.toSql({ firstParam: 0 }), RequestError);
  assert.throws(() => view.toSql({ columns: { owner_id: 5 } }), (e) => e instanceof RequestError && e.message === 'invalid option: `columns` must map attribute names to column names (the column of `owner_id` is not a string)');
  assert.throws(() => view.toSql({ columns: ['t.owner'] }), (e) => e instanceof RequestError && e.message === 'invalid option: `columns` must map attribute names to column names (not an object)');
  assert.throws(() => view.toSql({ columns: { owner_id: null } }), RequestError);
  assert.deepEqual(view.toSql({ columns: {} }), view.toSql());
  assert.deepEqual(view.toSql({ columns: { created_by_id: 'c', owner_id: 'o' } }).sql, '"o" IS NOT NULL AND "c" IS NOT NULL AND ("o" = $1::text OR "o" = $2::text)');
});

test('evaluate and evaluations: AuthZEN with a subject directory', () => {
  const directory = JSON.parse(policy('authzen_todo.directory.json'));
  const todo = Engine.fromPolicy(policy('authzen_todo.ord'), { directory });
  const fromText = Engine.fromPolicy(policy('authzen_todo.ord'), { directory: JSON.stringify(directory) });
  const [subjectId] = Object.keys(directory);
  const request = { subject: { type: 'user', id: subjectId }, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: 'todo-1' } };
  const answer = todo.evaluate(request, at);
  assert.equal(typeof answer.decision, 'boolean');
  assert.deepEqual(fromText.evaluate(request, at), answer);
  assert.deepEqual(todo.evaluate(request), answer, 'now defaults to the clock');
  const batch = todo.evaluations({ subject: request.subject, action: request.action, evaluations: [{ resource: request.resource }, { resource: request.resource }] }, at);
  assert.deepEqual(batch, { evaluations: [answer, answer] });
  assert.throws(() => todo.evaluate({ action: { name: 'x' } }, at), (e) => e instanceof RequestError && /subject/.test(e.message));
  assert.throws(() => todo.evaluations(null, at), RequestError);
  // A malformed batch item fails closed on its own; the other items are answered.
  const mixed = todo.evaluations({ subject: request.subject, action: request.action, evaluations: [{ resource: 1 }, { resource: request.resource }] }, at);
  assert.equal(mixed.evaluations[0].decision, false);
  assert.equal(mixed.evaluations[0].context.reason, 'invalid_request');
  assert.deepEqual(mixed.evaluations[1], answer);
  assert.throws(() => Engine.fromPolicy(policy('authzen_todo.ord'), { directory: { u: { org_role: 'org:admin' } } }), (e) => e instanceof RequestError && /registered claim `org_role`/.test(e.message));
  assert.throws(() => Engine.fromPolicy(policy('authzen_todo.ord'), { directory: '{' }), RequestError);
});

test('PolicyError carries line, column, code, help and every diagnostic', () => {
  let error;
  try {
    Engine.fromPolicy('resource task { owner_id: string }\naction view on task\npermit vew on task', { file: 'broken.ord' });
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof PolicyError);
  assert.ok(error instanceof OrdinanceError);
  assert.ok(error instanceof Error);
  assert.equal(error.name, 'PolicyError');
  // Two problems: `view` is never allowed (line 2), `vew` is unknown (line 3). The error's
  // own fields are the first problem's.
  assert.equal(error.file, 'broken.ord');
  assert.equal(error.line, 2);
  assert.equal(error.column, 8);
  assert.equal(error.code, 'unreachable-action');
  assert.equal(error.help, 'add `permit view on task when ...`, or remove the action');
  assert.match(error.message, /^broken\.ord:2:8: error: no rule can ever allow `view` on `task`\n/);
  assert.match(error.message, /\n {2}\| {8}\^{4}\n/, 'the message is the CLI report with a caret');
  assert.equal(error.diagnostics.length, 2);
  const [, second] = error.diagnostics;
  assert.deepEqual(Object.keys(second).sort(), ['code', 'column', 'file', 'help', 'line', 'message', 'related', 'span']);
  assert.deepEqual(second, {
    code: 'unknown-action',
    message: 'unknown action `vew` on `task`',
    help: 'did you mean `view`?',
    file: 'broken.ord',
    line: 3,
    column: 8,
    span: { start: 62, end: 65 },
    related: null,
  });

  let dup;
  try {
    Engine.fromPolicy('resource doc {}\nresource doc {}\naction read on doc\npermit read on doc');
  } catch (e) {
    dup = e;
  }
  assert.ok(dup instanceof PolicyError);
  const related = dup.diagnostics.find((d) => d.related);
  assert.ok(related, 'a duplicate points at its first declaration');
  assert.deepEqual(Object.keys(related.related).sort(), ['column', 'line', 'message']);
  assert.equal(related.related.line, 1);

  assert.throws(() => Engine.fromPolicy('permit view on task when'), (e) => e instanceof PolicyError && e.line === 1 && e.column === 25 && e.code === 'syntax');
});

test('error classes: names and the hierarchy', () => {
  for (const [Class, name] of [
    [OrdinanceError, 'OrdinanceError'],
    [PolicyError, 'PolicyError'],
    [ClaimsError, 'ClaimsError'],
    [RequestError, 'RequestError'],
    [InternalError, 'InternalError'],
  ]) {
    const e = Class === PolicyError ? new Class('m', []) : new Class('m');
    assert.equal(e.name, name);
    assert.ok(e instanceof Error);
    assert.ok(e instanceof OrdinanceError);
    assert.equal(e.message, 'm');
  }
});

test('a panic inside the engine is an InternalError, and everything keeps working', () => {
  const session = engine.session(manager);
  const other = Engine.fromPolicy(policy('rooms.ord'));
  const before = engine.decide(session, 'delete', orgTask, at);
  const filter = engine.filter(session, 'edit', 'task', at);
  const sql = filter.toSql();
  const todo = Engine.fromPolicy(policy('authzen_todo.ord'), { directory: policy('authzen_todo.directory.json') });
  const request = { subject: { type: 'user', id: Object.keys(JSON.parse(policy('authzen_todo.directory.json')))[0] }, action: { name: 'can_read_todos' }, resource: { type: 'todo', id: '1' } };
  const answer = todo.evaluate(request, at);
  for (let round = 0; round < 3; round++) {
    assert.throws(
      () => engine._panicForTests(`round ${round}`),
      (e) => e instanceof InternalError && e instanceof OrdinanceError && e.message.includes(`deliberate panic for tests: round ${round}`) && e.cause instanceof WebAssembly.RuntimeError,
    );
    assert.deepEqual(engine.decide(session, 'delete', orgTask, at), before);
    assert.deepEqual(engine.decide(manager, 'delete', orgTask, at), before);
    assert.deepEqual(engine.permittedActions(member(), orgTask, at), ['view', 'create']);
    assert.equal(other.decide(member(), 'enter', { type: 'room', owner_id: 'org_team' }, at).allowed, true);
    assert.throws(() => Engine.fromPolicy('permit'), PolicyError);
    assert.throws(() => engine.session({ sub: 3 }), ClaimsError);
    assert.deepEqual(filter.toSql(), sql, 'a filter rebuilds itself');
    assert.deepEqual(todo.evaluate(request, at), answer, 'an engine with a directory rebuilds it');
  }
  // Objects made after a recovery work, and a panic from another engine recovers too.
  const fresh = Engine.fromPolicy(teamTasks);
  assert.throws(() => other._panicForTests(), InternalError);
  assert.equal(fresh.decide(manager, 'view', orgTask, at).allowed, true);
  assert.equal(engine.session(member()).userId, 'user_bob');
});
