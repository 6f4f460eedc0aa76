// Issue 8 from JavaScript, as a newcomer would check it: `engine.filter(...)` for the team
// task guide's session kinds; the residual tree (`toJSON`) admits exactly the tasks
// `decide` allows; ids only ever travel as parameters; `firstParam` numbers them and
// refuses numbers PostgreSQL cannot bind. Run: node --test bindings/wasm/tests/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Engine, RequestError } from 'ordinance-wasm';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const engine = Engine.fromPolicy(readFileSync(`${root}policies/team_tasks.ord`, 'utf8'), { file: 'team_tasks.ord' });
const NOW = 1721770150;
const at = { now: NOW };
const HOSTILE = ["o'brien", 'back\\slash', '$1', 'ünï😀', "x' OR '1'='1"];

const org = (role, seat, orgId = 'org_1') => ({
  sub: 'user_bob',
  org_id: orgId,
  org_role: role,
  exp: NOW + 600,
  ...(seat === undefined ? {} : { org_metadata: { isLicensed: seat } }),
});
const sessions = {
  manager: org('org:manager', true),
  member: org('org:member', true),
  viewer: org('org:viewer', true),
  'unlicensed member': org('org:member', false),
  'other organization': org('org:manager', true, 'org_2'),
  'personal account': { sub: 'user_bob' },
  anonymous: {},
  expired: { ...org('org:manager', true), exp: NOW - 3600 },
};
HOSTILE.forEach((id, i) => {
  sessions[`hostile user ${i}`] = { sub: id, org_id: 'org_1', org_role: 'org:member', org_metadata: { isLicensed: true } };
  sessions[`hostile org ${i}`] = { sub: 'user_bob', org_id: id, org_role: 'org:manager', org_metadata: { isLicensed: true } };
});

// The residual tree on a row, for the operators the team task policy leaves.
function holds(node, row) {
  const value = (t) => ('attr' in t ? row[t.attr] : t.value);
  switch (node.op) {
    case 'and':
      return node.args.every((a) => holds(a, row));
    case 'or':
      return node.args.some((a) => holds(a, row));
    case 'not':
      return !holds(node.arg, row);
    case 'eq':
      return value(node.left) === value(node.right);
    default:
      throw new Error(`operator ${node.op} not expected here`);
  }
}

const ids = ['user_bob', 'user_ann', 'org_1', 'org_2', ...HOSTILE];
const rows = ids.flatMap((owner) => ids.map((by) => ({ owner_id: owner, created_by_id: by })));

test('the residual admits exactly the tasks decide allows, for every session kind and action', () => {
  let allowed = 0;
  for (const [kind, claims] of Object.entries(sessions)) {
    for (const action of ['view', 'create', 'edit', 'complete', 'delete']) {
      const filter = engine.filter(claims, action, 'task', at);
      const tree = filter.toJSON();
      assert.equal(tree.kind, filter.kind);
      assert.deepEqual(tree.required, ['owner_id', 'created_by_id']);
      for (const row of rows) {
        const want = engine.decide(claims, action, { type: 'task', id: '1', ...row }, at).allowed;
        const got = filter.kind === 'always' || (filter.kind === 'condition' && holds(tree.condition, row));
        assert.equal(got, want, `${kind} ${action} ${JSON.stringify(row)}`);
        allowed += want;
      }
      if (filter.kind === 'never') assert.ok(filter.reason, `${kind} ${action}`);
    }
  }
  assert.ok(allowed > 100, `${allowed}`);
  assert.equal(engine.filter(sessions.expired, 'view', 'task', at).reason, 'session_expired');
  assert.equal(engine.filter(sessions.anonymous, 'view', 'task', at).reason, 'no_matching_rule');
});

test('ids only ever travel as parameters', () => {
  for (const id of HOSTILE) {
    const claims = { sub: id, org_id: id, org_role: 'org:member', org_metadata: { isLicensed: true } };
    for (const action of ['view', 'edit']) {
      const { sql, params } = engine.filter(claims, action, 'task', at).toSql();
      assert.ok(params.includes(id), `${id}: ${sql}`);
      if (id !== '$1') assert.ok(!sql.includes(id), `${id} in ${sql}`);
      assert.ok(!sql.includes("'"), sql);
    }
  }
});

test('firstParam numbers the parameters and refuses what PostgreSQL cannot bind', () => {
  const filter = engine.filter(sessions.member, 'edit', 'task', at);
  const one = filter.toSql();
  const three = filter.toSql({ firstParam: 3 });
  assert.equal(three.sql, one.sql.replaceAll('$2', '$4').replaceAll('$1', '$3'));
  assert.deepEqual(three.params, one.params);
  for (const bad of [0, 65535, 65536, 2 ** 31]) {
    assert.throws(() => filter.toSql({ firstParam: bad }), (e) => e instanceof RequestError, `${bad}`);
  }
  assert.ok(filter.toSql({ firstParam: 65534 }).sql.includes('$65535::text'));
});
