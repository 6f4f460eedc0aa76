// The size budget of the shipped .wasm: at most 150 KB (150,000 bytes) after gzip -9.
// Measured on the web build, the file a browser downloads (the Node build is the same file).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

test('the .wasm is at most 150 KB gzipped', () => {
  const wasm = readFileSync(new URL('../pkg-web/ordinance_wasm_bg.wasm', import.meta.url));
  const gzipped = gzipSync(wasm, { level: 9 }).length;
  console.log(`# ordinance_wasm_bg.wasm: ${wasm.length} bytes, ${gzipped} bytes gzip -9`);
  assert.ok(gzipped <= 150_000, `${gzipped} bytes gzipped, over the 150,000-byte budget`);
  assert.deepEqual(readFileSync(new URL('../pkg-node/ordinance_wasm_bg.wasm', import.meta.url)), wasm, 'both builds ship the same .wasm');
});
