// Runs every shipped policy test file, policies/*.test.json, through the Node build: the
// same cases and the same comparison as `ordinance test policies/` (format: docs/testing.md).
//
// Each case runs twice: through decideJson on the exact JSON text of its claims, resource
// and context (what the CLI reads), and through decide on JS objects. A JS number cannot
// tell `5.0` from `5`, so the object path is only compared where the JS object is a
// lossless copy of the text; those cases are counted and must be few.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import util from 'node:util';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from 'ordinance-wasm';
import { RawObject, lossless, parseRaw, toText, toValue } from './support/raw-json.mjs';

const policies = fileURLToPath(new URL('../../../policies/', import.meta.url));
const files = readdirSync(policies)
  .filter((f) => f.endsWith('.test.json'))
  .sort()
  .map((f) => join(policies, f));

// A case field is a name in the file's table or an inline value, as in the CLI.
function resolve(node, table, what) {
  if (typeof node !== 'string') return node;
  if (!(table instanceof RawObject) || !table.has(node)) throw new Error(`no ${what} named \`${node}\``);
  return table.get(node);
}

test('there is at least one policy test file', () => {
  assert.ok(files.length >= 1, `no *.test.json in ${policies}`);
});

for (const file of files) {
  test(`policy test file ${file.slice(policies.length)}`, () => {
    const doc = parseRaw(readFileSync(file, 'utf8'));
    const policyName = doc.get('policy');
    const engine = Engine.fromPolicy(readFileSync(join(dirname(file), policyName), 'utf8'), { file: policyName });
    const defaultNow = toValue(doc.get('now') ?? null);
    const cases = doc.get('cases');
    assert.ok(Array.isArray(cases) && cases.length > 0, 'the file has cases');
    const failures = [];
    let lossy = 0;
    cases.forEach((c, i) => {
      const name = c.get('name') ?? `case ${i}`;
      assert.ok(c.has('allowed'), `${name} has no expected "allowed"`);
      const claims = resolve(c.get('session'), doc.get('sessions'), 'session') ?? null;
      const resource = resolve(c.get('resource'), doc.get('resources'), 'resource') ?? null;
      const context = resolve(c.get('context'), doc.get('contexts'), 'context');
      const action = typeof c.get('action') === 'string' ? c.get('action') : '';
      const caseNow = c.has('now') ? toValue(c.get('now')) : undefined;
      const now = Number.isSafeInteger(caseNow) ? caseNow : defaultNow;
      const fromText = engine.decideJson(toText(claims), action, toText(resource), {
        now,
        context: context === undefined ? undefined : toText(context),
      });
      for (const key of ['allowed', 'reason', 'rule', 'missing']) {
        if (!c.has(key)) continue;
        const want = toValue(c.get(key));
        if (!util.isDeepStrictEqual(fromText[key] ?? null, want)) {
          failures.push(`${name}: ${key}: expected ${JSON.stringify(want)}, got ${JSON.stringify(fromText[key])}`);
        }
      }
      if ([claims, resource, context ?? null].every(lossless)) {
        const fromObjects = engine.decide(toValue(claims), action, toValue(resource), {
          now,
          context: context === undefined ? undefined : toValue(context),
        });
        if (!util.isDeepStrictEqual(fromObjects, fromText)) {
          failures.push(`${name}: decide on objects gave ${JSON.stringify(fromObjects)}, decideJson ${JSON.stringify(fromText)}`);
        }
      } else {
        lossy++;
      }
    });
    assert.deepEqual(failures, []);
    assert.ok(lossy <= 3, `${lossy} cases cannot be written as JS objects`);
  });
}
