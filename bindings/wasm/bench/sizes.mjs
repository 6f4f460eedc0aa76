// Size (and speed) of the .wasm for each opt-level, with and without `wasm-opt` (build.mjs's flags).
//
//   node bindings/wasm/bench/sizes.mjs [z s 3]
//
// For each level: a node-only build into target/wasm-sizes/<level>[-oz]/ (the profile's
// opt-level overridden with CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL; lto, codegen-units = 1 and
// panic = "abort" as in [profile.wasm-release]), its raw and `gzip -9` size, and the median
// CPU-time median of decide(JS object) and decide(prepared Session) from
// bench/bench.mjs --quick (see its header).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const here = fileURLToPath(new URL('..', import.meta.url));
const root = join(here, '..', '..');
const levels = process.argv.slice(2).length ? process.argv.slice(2) : ['z', 's', '3'];
const rows = [];
for (const level of levels) {
  for (const opt of [false, true]) {
    const out = join(root, 'target', 'wasm-sizes', `${level}${opt ? '-oz' : ''}`);
    execFileSync('node', [join(here, 'scripts', 'build.mjs'), '--node-only', '--out', out, ...(opt ? [] : ['--no-opt'])], {
      env: { ...process.env, CARGO_PROFILE_WASM_RELEASE_OPT_LEVEL: level },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const wasm = readFileSync(join(out, 'ordinance_wasm_bg.wasm'));
    const speed = JSON.parse(execFileSync('node', [join(here, 'bench', 'bench.mjs'), '--quick', '--pkg', out, '--json', '-'], { encoding: 'utf8' }));
    const median = (name) => speed.results.find((r) => r.name === name)?.cpu_median_ns;
    rows.push({ level, opt, raw: wasm.length, gzip: gzipSync(wasm, { level: 9 }).length, object: median('allow: decide(JS object)'), session: median('allow: decide(prepared Session)'), deny: median('deny: decide(JS object)') });
  }
}
console.log('| opt-level | wasm-opt | raw bytes | gzip -9 bytes | decide(JS object) allow | deny | decide(Session) allow |');
console.log('|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;
  console.log(`| ${r.level} | ${r.opt ? 'yes' : 'no'} | ${r.raw} | ${r.gzip} | ${us(r.object)} | ${us(r.deny)} | ${us(r.session)} |`);
}
