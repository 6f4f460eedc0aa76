// The package as a user gets it: `npm pack` (only what `files` ships) installed into a fresh
// project, and `npm install ./bindings/wasm` (a folder install); then required from
// CommonJS and imported from an ES module, both resolved through package.json `exports`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('..', import.meta.url));
const policy = fileURLToPath(new URL('../../../policies/team_tasks.ord', import.meta.url));
const npm = (cwd, ...args) => execFileSync('npm', [...args, '--no-audit', '--no-fund', '--offline', '--loglevel=error'], { cwd, encoding: 'utf8' });

const cjs = `const { Engine, PolicyError } = require('ordinance-wasm');
const engine = Engine.fromPolicy(require('fs').readFileSync(${JSON.stringify(policy)}, 'utf8'));
const d = engine.decide({ sub: 'u', org_id: 'o', org_role: 'org:manager', org_permissions: ['org:tasks:manage'] },
  'delete', { type: 'task', owner_id: 'o', created_by_id: 'x' }, { now: 0 });
console.log(JSON.stringify([d.allowed, d.reason, typeof PolicyError]));`;
const esm = `import { init, Engine } from 'ordinance-wasm';
import { readFileSync } from 'node:fs';
await init();
const engine = Engine.fromPolicy(readFileSync(${JSON.stringify(policy)}, 'utf8'));
console.log(JSON.stringify(engine.permittedActions({ sub: 'u' }, { type: 'task', owner_id: 'u', created_by_id: 'u' }, { now: 0 })));`;

function check(project) {
  writeFileSync(join(project, 'check.cjs'), cjs);
  writeFileSync(join(project, 'check.mjs'), esm);
  assert.equal(execFileSync('node', ['check.cjs'], { cwd: project, encoding: 'utf8' }).trim(), '[false,"forbidden:license_required","function"]');
  assert.equal(execFileSync('node', ['check.mjs'], { cwd: project, encoding: 'utf8' }).trim(), '["view","create","edit","complete","delete"]');
}

test('npm pack ships both builds and the types; the tarball installs and works', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ordinance-pack-'));
  try {
    const listing = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', dir], { cwd: here, encoding: 'utf8' }));
    const files = listing[0].files.map((f) => f.path).sort();
    for (const f of ['package.json', 'pkg-node/index.cjs', 'pkg-node/index.d.ts', 'pkg-node/ordinance_wasm.js', 'pkg-node/ordinance_wasm_bg.wasm', 'pkg-web/index.js', 'pkg-web/index.d.ts', 'pkg-web/ordinance_wasm.js', 'pkg-web/ordinance_wasm_bg.wasm']) {
      assert.ok(files.includes(f), `the tarball has ${f}`);
    }
    assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('node_modules/')), 'no sources in the tarball');
    const project = join(dir, 'app');
    execFileSync('mkdir', [project]);
    writeFileSync(join(project, 'package.json'), '{"name": "app", "private": true}');
    npm(project, 'install', join(dir, listing[0].filename));
    check(project);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('npm install ./bindings/wasm (a folder) works after the build', () => {
  const project = mkdtempSync(join(tmpdir(), 'ordinance-folder-'));
  try {
    writeFileSync(join(project, 'package.json'), '{"name": "app", "private": true}');
    npm(project, 'install', here);
    check(project);
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
});
