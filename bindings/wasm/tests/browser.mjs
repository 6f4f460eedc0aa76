// Browser test of examples/team-tasks-web in headless Chromium (Debian's /usr/bin/chromium,
// driven by playwright-core; no browser download).
//
//   node bindings/wasm/tests/browser.mjs [URL] [SCREENSHOT.png | DIR]
//
// URL (http://...) is a server of the repository root, or the page itself
// (http://127.0.0.1:PORT/examples/team-tasks-web/); without one the test serves the
// repository root itself with `python3 -m http.server` on 127.0.0.1 (a free port). The
// screenshot goes to SCREENSHOT.png, or DIR/team-tasks.png, default
// target/browser/team-tasks.png. It switches between every sample session and asserts exactly
// which buttons are rendered and enabled, checks tooltip texts, clicks through add /
// complete / delete, proves a panic in the browser recovers, and saves a screenshot.
// Prints `N passed, N failed` last; exits 1 on any failure. Env: CHROMIUM (browser path).
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const argv = process.argv.slice(2).filter((a) => a !== '--url');
const givenUrl = argv.find((a) => /^https?:\/\//.test(a));
const out = argv.find((a) => a !== givenUrl) || join(root, 'target', 'browser');
const shot = resolve(out.endsWith('.png') ? out : join(out, 'team-tasks.png'));

let passed = 0;
let failed = 0;
function check(name, ok, detail = '') {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${name}${ok || !detail ? '' : `\n    ${detail}`}`);
  if (ok) passed++;
  else failed++;
}

function serve() {
  return new Promise((resolveUrl, reject) => {
    const server = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', root], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`http.server did not start: ${out}`)), 10000);
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const m = /port (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolveUrl({ server, url: `http://127.0.0.1:${m[1]}/` });
      }
    });
    server.stderr.resume(); // request log
    server.on('exit', (code) => reject(new Error(`http.server exited with ${code}: ${out}`)));
  });
}

const rows = (list, ids) => ids.flatMap((id) => ['edit', 'complete', 'delete'].map((a) => `${list}-${id}-${a}`));
const ORG_ALL = ['org-add', ...rows('org', ['t1', 't2', 't3', 't4'])];
// For each sample session: every button the page renders, and exactly those enabled.
const expected = {
  manager: { rendered: [...ORG_ALL, 'personal-add', ...rows('personal', ['p1'])], enabled: [...ORG_ALL, 'personal-add', ...rows('personal', ['p1'])] },
  member: { rendered: [...ORG_ALL, 'personal-add', ...rows('personal', ['p2'])], enabled: ['org-add', ...rows('org', ['t2']), 'personal-add', ...rows('personal', ['p2'])] },
  viewer: { rendered: [...ORG_ALL, 'personal-add', ...rows('personal', ['p3'])], enabled: ['personal-add', ...rows('personal', ['p3'])] },
  unlicensed: { rendered: [...ORG_ALL, 'personal-add', ...rows('personal', ['p4'])], enabled: ['personal-add', ...rows('personal', ['p4'])] },
  personal: { rendered: ['org-add', 'personal-add', ...rows('personal', ['p5', 'p6'])], enabled: ['personal-add', ...rows('personal', ['p5', 'p6'])] },
  expired: { rendered: ['org-add', 'personal-add'], enabled: [] },
};
// Tooltips of disabled buttons: the deny's missing requirement, then its reason code.
const tooltips = {
  member: { 'org-t1-delete': 'Requires the org:tasks:manage permission (no_matching_rule)' },
  viewer: { 'org-add': 'Requires the org:tasks:edit permission (no_matching_rule)' },
  unlicensed: {
    'org-add': 'Requires a seat (license) in this organization (forbidden:license_required)',
    'org-t4-edit': 'Requires a seat (license) in this organization (forbidden:license_required)',
  },
  // The engine gives no `missing` here: with no active org, `resource.owner_id == org.id`
  // cannot be evaluated, so no requirement would make the rule match.
  personal: { 'org-add': 'Not allowed (no_matching_rule)' },
  expired: { 'personal-add': 'Your session has expired: sign in again (session_expired)' },
};

const same = (a, b) => JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());
const buttonStates = (page) => page.$$eval('button[data-action]', (bs) => bs.map((b) => ({ id: b.id, enabled: !b.disabled, title: b.title })));

async function checkSession(page, key, label = key) {
  await page.check(`#session-${key}`);
  const states = await buttonStates(page);
  const rendered = states.map((s) => s.id);
  const enabled = states.filter((s) => s.enabled).map((s) => s.id);
  check(`${label}: rendered buttons`, same(rendered, expected[key].rendered), `got ${JSON.stringify(rendered)}`);
  check(`${label}: enabled buttons`, same(enabled, expected[key].enabled), `got ${JSON.stringify(enabled)}`);
  const badTitles = states.filter((s) => (s.enabled ? s.title !== '' : !/\([a-z_:]+\)$/.test(s.title)));
  check(`${label}: every disabled button (and only those) has a "why (reason)" tooltip`, badTitles.length === 0, JSON.stringify(badTitles));
  for (const [id, text] of Object.entries(tooltips[key] || {})) {
    const title = states.find((s) => s.id === id)?.title;
    check(`${label}: tooltip of #${id}`, title === text, `got ${JSON.stringify(title)}`);
  }
}

const { server, url } = givenUrl ? { url: givenUrl } : await serve();
const profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1200, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const errors = [];
try {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => m.type() === 'error' && errors.push(`console: ${m.text()}`));
  await page.goto(/team-tasks-web\/?$/.test(new URL(url).pathname) ? url : new URL('examples/team-tasks-web/', url).href);
  await page.waitForFunction(() => document.getElementById('status').dataset.state !== undefined, null, { timeout: 15000 });
  const status = await page.textContent('#status');
  check('the page loads the wasm and the policy', status.startsWith('ready'), status);

  for (const key of Object.keys(expected)) await checkSession(page, key);

  // Acting: Bob adds an org task (his own, so he may edit it), completes his task, deletes the new one.
  await page.check('#session-member');
  await page.click('#org-add');
  const added = await buttonStates(page);
  check('member: the added task is his, so its buttons are enabled', ['org-n1-edit', 'org-n1-complete', 'org-n1-delete'].every((id) => added.find((s) => s.id === id)?.enabled));
  await page.click('#org-t2-complete');
  check('member: complete marks the task done', (await page.textContent('#org-t2-complete')) === 'Reopen' && (await page.getAttribute('li[data-task="t2"]', 'class')).includes('done'));
  await page.click('#org-n1-delete');
  check('member: delete removes the task', (await page.$('#org-n1-edit')) === null);
  await page.click('#org-t2-complete');

  // A panic inside the engine, in the browser: the page's engine keeps working afterwards.
  const panic = await page.evaluate(async () => {
    const { Engine, InternalError } = await import('ordinance-wasm');
    const engine = Engine.fromPolicy('resource doc {}\naction read on doc\npermit read on doc');
    try {
      engine._panicForTests('from the browser test');
      return 'no error';
    } catch (e) {
      return e instanceof InternalError ? e.message : `${e.name}: ${e.message}`;
    }
  });
  check('a panic in the browser is an InternalError', /^internal error: deliberate panic for tests: from the browser test/.test(panic), panic);
  await checkSession(page, 'unlicensed', 'after the panic, unlicensed');
  await checkSession(page, 'member', 'after the panic, member');

  await page.hover('#org-t1-delete', { force: true });
  mkdirSync(dirname(shot), { recursive: true });
  await page.screenshot({ path: shot, fullPage: true });
  check(`screenshot saved to ${shot}`, true);
  check('no page errors', errors.length === 0, errors.join('\n    '));
} catch (e) {
  check('the browser test ran to the end', false, e.stack);
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
  server?.kill();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
