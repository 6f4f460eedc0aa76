// Runs every conformance vector file, tests/conformance/**/*.json, through the Node build.
// A vector passes when the decision restricted to the keys of `expected` equals `expected`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Engine } from 'ordinance-wasm';

const dir = fileURLToPath(new URL('../../../tests/conformance/', import.meta.url));

function walk(d) {
  return readdirSync(d)
    .sort()
    .flatMap((name) => {
      const path = join(d, name);
      if (statSync(path).isDirectory()) return walk(path);
      return name.endsWith('.json') ? [path] : [];
    });
}

// Directory documents (AuthZEN) sit beside vector files; only files with `vectors` are run.
const files = existsSync(dir) ? walk(dir).filter((f) => Array.isArray(JSON.parse(readFileSync(f, 'utf8')).vectors)) : [];

test('conformance vectors', { skip: files.length === 0 && `no vector files under ${dir}` }, () => {});

for (const file of files) {
  test(`conformance ${file.slice(dir.length)}`, () => {
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    const options = { file: doc.policy.split('/').at(-1) };
    if (doc.directory) options.directory = JSON.parse(readFileSync(join(dirname(file), doc.directory), 'utf8'));
    const engine = Engine.fromPolicy(readFileSync(join(dirname(file), doc.policy), 'utf8'), options);
    assert.ok(doc.vectors.length > 0, 'the file has vectors');
    const failures = [];
    for (const v of doc.vectors) {
      // Four calls with the same objects: the wrapper sees the texts, prepares them, binds the
      // objects, then recognises them without JSON (js/core.js); every call must agree.
      for (let call = 1; call <= 4; call++) {
        const decision = engine.decide(v.claims, v.action, v.resource, { now: v.now, context: v.context });
        const got = Object.fromEntries(Object.keys(v.expected).map((k) => [k, decision[k] ?? null]));
        try {
          assert.deepStrictEqual(got, v.expected);
        } catch {
          failures.push(`${v.name} (call ${call}): expected ${JSON.stringify(v.expected)}, got ${JSON.stringify(got)}`);
        }
      }
    }
    assert.deepEqual(failures, []);
  });
}

// The AuthZEN interop suites: tests/conformance/authzen/suites.json names the policy, the
// directory and the suite files (see tests/conformance/README.md).
const suites = join(dir, 'authzen', 'suites.json');
test('AuthZEN interop suites', { skip: !existsSync(suites) && `no ${suites}` }, () => {
  const index = JSON.parse(readFileSync(suites, 'utf8'));
  const base = dirname(suites);
  const engine = Engine.fromPolicy(readFileSync(join(base, index.policy), 'utf8'), {
    directory: readFileSync(join(base, index.directory), 'utf8'),
  });
  const failures = [];
  let count = 0;
  for (const name of index.suites) {
    const suite = JSON.parse(readFileSync(join(base, name), 'utf8'));
    for (const [i, item] of (suite.evaluation || []).entries()) {
      count++;
      const got = engine.evaluate(item.request).decision;
      if (got !== item.expected) failures.push(`${name} evaluation ${i}: expected ${item.expected}, got ${got}`);
    }
    for (const [i, item] of (suite.evaluations || []).entries()) {
      count++;
      const got = engine.evaluations(item.request).evaluations.map((d) => ({ decision: d.decision }));
      if (JSON.stringify(got) !== JSON.stringify(item.expected)) failures.push(`${name} evaluations ${i}: expected ${JSON.stringify(item.expected)}, got ${JSON.stringify(got)}`);
    }
  }
  assert.deepEqual(failures, []);
  assert.ok(count >= 83, `${count} requests`);
});
