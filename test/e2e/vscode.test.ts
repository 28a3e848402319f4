import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { examplesDir, fixtures, repoRoot } from '../util/paths';
import { hasProgram, requireProgram } from '../util/external';
import { packageVsix } from '../util/vsix';
import { firstImportedFile } from '../../client/src/commands/import-model';

/**
 * VS Code for real: code-server 4.100.3 (VS Code 1.100.3) with the extension installed
 * from the .vsix that `npm run package` builds (`code-server --install-extension`, as a
 * user installs it), driven by Debian's Chromium through playwright-core. Asserts the
 * error squiggle and the Problems entry, completion items and hover text; screenshots go
 * to test-output/e2e/.
 */
const codeServer = path.join(repoRoot, '.cache', 'code-server', 'node_modules', '.bin', 'code-server');
const shots = path.join(repoRoot, 'test-output', 'e2e');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitHttp(url: string, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`${url} did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * `code-server --install-extension VSIX` into a fresh extensions folder; checks that it
 * is listed afterwards as publisher.name@version of the manifest.
 */
function installVsix(vsix: string, extensionsDir: string, userDataDir: string, env: NodeJS.ProcessEnv): void {
  const base = ['--extensions-dir', extensionsDir, '--user-data-dir', userDataDir];
  const run = (args: string[]) => {
    const r = cp.spawnSync(codeServer, [...base, ...args], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, `code-server ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  run(['--install-extension', vsix]);
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { publisher: string; name: string; version: string };
  const id = `${manifest.publisher}.${manifest.name}@${manifest.version}`;
  const listed = run(['--list-extensions', '--show-versions']);
  assert.ok(listed.split('\n').some((l) => l.trim() === id), `${id} is installed: ${listed}`);
}

describe('e2e: VS Code (code-server + Chromium)', function () {
  this.timeout(300_000);
  let server: cp.ChildProcess | undefined;
  let browser: import('playwright-core').Browser | undefined;
  /** The workbench page; every test below drives it in turn, as a user would. */
  let page: import('playwright-core').Page;
  let root: string;
  let ws: string;

  /** Quick Open (Ctrl+P) a workspace file; resolves when its tab shows. */
  const open = async (name: string) => {
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 30_000 });
    await page.keyboard.type(name);
    await page.waitForTimeout(800);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.tab[aria-label*="${name}"]`, { timeout: 30_000 });
  };

  /** Runs a command from the palette by its title (`VMSD: …`). */
  const command = async (title: string) => {
    await page.keyboard.press('Control+Shift+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 30_000 });
    await page.keyboard.type(title);
    await page.waitForSelector(`.quick-input-widget .monaco-list-row[aria-label*="${title}"]`, { timeout: 30_000 });
    await page.keyboard.press('Enter');
  };

  /** The frame of a webview whose page has `selector` (webviews are nested iframes). */
  const webviewFrame = async (selector: string, timeoutMs = 60_000): Promise<import('playwright-core').Frame> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      for (const f of page.frames()) {
        if (await f.$(selector).catch(() => null)) return f;
      }
      if (Date.now() > end) throw new Error(`no webview shows ${selector} within ${timeoutMs} ms`);
      await page.waitForTimeout(250);
    }
  };

  before(async function () {
    requireProgram(this, 'chromium', 'apt-get install chromium');
    if (!fs.existsSync(codeServer)) {
      const msg = 'code-server is not installed; run scripts/install-test-deps.sh';
      if (process.env.CI === 'true') throw new Error(msg);
      console.warn(`\n  !!! SKIPPED: ${msg}\n`);
      this.skip();
    }
    assert.ok(hasProgram('chromium'));
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-vscode-'));
    ws = path.join(root, 'ws');
    const ext = path.join(root, 'extensions');
    const ud = path.join(root, 'user-data');
    fs.mkdirSync(ws);
    fs.mkdirSync(ext);
    fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(ws, f));
    fs.writeFileSync(path.join(ws, 'broken.vmsd'), 'include "hpet.vmsd"\n\nvmstate broken {\n    version 1\n    count: u9\n}\n');
    const env = { ...process.env, XDG_CONFIG_HOME: path.join(root, 'config'), XDG_DATA_HOME: path.join(root, 'data') };
    installVsix(packageVsix(), ext, ud, env);
    fs.writeFileSync(
      path.join(ud, 'User', 'settings.json'),
      JSON.stringify({ 'workbench.startupEditor': 'none', 'update.mode': 'none', 'telemetry.telemetryLevel': 'off', 'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false }),
    );
    fs.mkdirSync(shots, { recursive: true });

    const port = await freePort();
    server = cp.spawn(codeServer, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--extensions-dir', ext, '--user-data-dir', ud, ws], {
      env,
      stdio: 'ignore',
    });
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      env: { ...process.env, XDG_CONFIG_HOME: path.join(root, 'chromium-config') },
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.waitForTimeout(3000);
  });

  afterEach(async function () {
    // What the screen showed when a test failed.
    if (this.currentTest?.state === 'failed' && page) {
      const name = this.currentTest.title.replace(/[^\w]+/g, '-').slice(0, 60);
      await page.screenshot({ path: path.join(shots, `failed-${name}.png`) }).catch(() => undefined);
    }
  });

  after(async () => {
    await browser?.close().catch(() => undefined);
    server?.kill();
  });

  it('shows the diagnostic, completes and hovers through the extension', async () => {
    // 1. The error squiggle and its Problems entry.
    await open('broken.vmsd');
    await page.waitForSelector('.monaco-editor .squiggly-error', { timeout: 90_000 });
    await page.screenshot({ path: path.join(shots, '1-diagnostic.png') });
    await page.keyboard.press('Control+Shift+M');
    const problems = page.locator('.markers-panel .monaco-list-rows');
    await problems.waitFor({ timeout: 30_000 });
    // (page functions run in the browser; written as strings, the test has no DOM types)
    await page.waitForFunction("(document.querySelector('.markers-panel .monaco-list-rows')?.textContent ?? '').includes('VL100')", undefined, { timeout: 30_000 });
    const problemText = (await problems.textContent()) ?? '';
    assert.match(problemText, /Unknown type `u9`; did you mean `u8`\?/);
    await page.screenshot({ path: path.join(shots, '2-problems.png') });
    await page.keyboard.press('Control+Shift+M');

    // 2. Completion in a type position.
    await page.locator('.monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nvmstate e2e {\n');
    // The list is virtual (only visible rows are in the page): filter by what is typed.
    // Snippets are listed at once, the server's items a moment later: wait for one of them.
    const suggest = async (typed: string, awaited: string): Promise<string[]> => {
      await page.keyboard.type(typed);
      // A fresh completion session at the word typed (typing may have opened one at the `:`),
      // once the editor has taken in the keys: Ctrl+Space right after them is dropped.
      await page.waitForTimeout(1000);
      await page.keyboard.press('Escape');
      await page.waitForTimeout(300);
      await page.keyboard.press('Control+Space');
      await page.waitForSelector('.suggest-widget .monaco-list-row', { timeout: 30_000 });
      const labels = () => page.locator('.suggest-widget .monaco-list-row .label-name').allTextContents();
      const end = Date.now() + 30_000;
      while (!(await labels()).some((x) => x.trim() === awaited) && Date.now() < end) await page.waitForTimeout(250);
      await page.waitForTimeout(300);
      return labels();
    };
    const builtins = await suggest('t: u', 'u8');
    await page.screenshot({ path: path.join(shots, '3-completion.png') });
    for (const l of ['u8', 'u16', 'u32', 'u64']) assert.ok(builtins.some((x) => x.trim() === l), `completion lacks ${l}: ${builtins.join(', ')}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    const described = await suggest('hpet', 'hpet_timer');
    assert.ok(described.some((x) => x.trim() === 'hpet_timer'), `completion lacks hpet_timer: ${described.join(', ')}`);
    await page.keyboard.press('Escape');

    // 3. Hover on a field shows its wire size.
    await open('hpet.vmsd');
    // Bring the field's line into view (go to line), then hover the name.
    const line = fs.readFileSync(path.join(ws, 'hpet.vmsd'), 'utf8').split('\n').findIndex((l) => /^\s+num_timers: u8/.test(l)) + 1;
    await page.keyboard.press('Control+G');
    await page.waitForSelector('.quick-input-widget input', { timeout: 30_000 });
    await page.keyboard.type(String(line));
    await page.keyboard.press('Enter');
    await page.waitForTimeout(500);
    const field = page.locator('.monaco-editor .view-line span', { hasText: /^num_timers$/ }).first();
    await field.waitFor({ timeout: 30_000 });
    await field.hover();
    await page.waitForSelector('.monaco-hover:not(.hidden) .hover-contents', { timeout: 30_000 });
    await page.waitForFunction("/size 1 byte/.test(document.querySelector('.monaco-hover:not(.hidden)')?.textContent ?? '')", undefined, { timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, '4-hover.png') });
  });

  it('shows the server state in the status bar', async () => {
    const item = page.locator('.statusbar-item[id$="vmsd.status"]');
    await item.waitFor({ timeout: 30_000 });
    await page.waitForFunction("(document.querySelector('.statusbar-item[id$=\"vmsd.status\"]')?.getAttribute('aria-label') ?? '').includes('vmsd language server: ready')", undefined, { timeout: 60_000 });
    assert.match((await item.textContent()) ?? '', /VMSD/);
  });

  it('restarts the server, and traces the protocol into the VMSD output when vmsd.trace.server is set', async () => {
    fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'vmsd.trace.server': 'messages' }));
    await page.waitForTimeout(1500);
    await command('VMSD: Restart Language Server');
    const ready = "(document.querySelector('.statusbar-item[id$=\"vmsd.status\"]')?.getAttribute('aria-label') ?? '').includes('vmsd language server: ready')";
    await page.waitForFunction(ready, undefined, { timeout: 60_000 });
    await command('VMSD: Show Output');
    // The output is an editor that shows its last lines: the new server's conversation.
    await page.waitForFunction("/\\[trace\\]\\s(Sending|Received)\\s(request|response|notification)\\s'/.test(document.querySelector('.part.panel')?.textContent ?? '')", undefined, { timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, '5-output-trace.png') });
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({}));
    await page.keyboard.press('Control+J'); // close the panel
  });

  it('checks compatibility against a baseline: findings in Problems, the verdict matrix', async () => {
    // The baseline: the examples with one more hpet field, so the workspace "removed" it.
    const base = path.join(root, 'base');
    fs.mkdirSync(base);
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(base, f));
    const hpet = fs.readFileSync(path.join(base, 'hpet.vmsd'), 'utf8');
    assert.match(hpet, /^ {4}hpet_counter: u64\n/m);
    fs.writeFileSync(path.join(base, 'hpet.vmsd'), hpet.replace(/^( {4}hpet_counter: u64\n)/m, '$1    e2e_removed: u32\n'));
    // Named by the folder's setting: the quick pick offers it first.
    fs.mkdirSync(path.join(ws, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(ws, '.vscode', 'settings.json'), JSON.stringify({ 'vmsd.compat.baseline': base }));
    await page.waitForTimeout(1500);

    await command('VMSD: Check Compatibility Against Baseline');
    await page.waitForSelector('.quick-input-widget .monaco-list-row[aria-label*="vmsd.compat.baseline"]', { timeout: 30_000 });
    await page.screenshot({ path: path.join(shots, '6-compat-baseline-pick.png') });
    await page.keyboard.press('Enter');

    // The matrix: hpet is an error (the field is gone old→new), keyboard and filter work.
    const frame = await webviewFrame('table.matrix');
    await frame.waitForSelector('tr.row[data-description="hpet"] .badge.v-error', { timeout: 30_000 });
    const rows = () => frame.locator('tr.row').count();
    const all = await rows();
    assert.ok(all > 10, `${all} rows`);
    await frame.locator('tr.row[data-description="hpet"]').click();
    await frame.waitForSelector('#details h2', { timeout: 10_000 });
    assert.match((await frame.locator('#details').textContent()) ?? '', /e2e_removed/);
    await page.screenshot({ path: path.join(shots, '7-compat-matrix.png') });
    await page.keyboard.press('ArrowDown');
    const selected = await frame.locator('tr.row[aria-selected="true"]').getAttribute('data-description');
    assert.notEqual(selected, 'hpet', 'ArrowDown moves the selection');
    assert.equal(await frame.evaluate('document.activeElement?.getAttribute("data-description")'), selected, 'and the focus');
    await frame.locator('button.filter.v-ok').click();
    assert.equal(await frame.locator('button.filter.v-ok').getAttribute('aria-pressed'), 'false');
    const filtered = await rows();
    assert.ok(filtered < all && filtered >= 1, `filtering out ok rows: ${filtered} of ${all}`);
    assert.equal(await frame.locator('tr.row.v-ok').count(), 0);
    // Enter opens the description beside the matrix (through the server's workspace symbols).
    await frame.locator('tr.row[data-description="hpet"]').click();
    await page.keyboard.press('Enter');
    await page.waitForSelector('.tab.active[aria-label*="hpet.vmsd"]', { timeout: 30_000 });
    await page.waitForSelector('.monaco-editor .view-line span:text-is("hpet")', { timeout: 30_000 });

    // Problems: the finding with its code, from the `vmsd-compat` collection.
    await page.keyboard.press('Control+Shift+M');
    await page.waitForFunction("(document.querySelector('.markers-panel .monaco-list-rows')?.textContent ?? '').includes('vmsd compat')", undefined, { timeout: 30_000 });
    const problems = (await page.locator('.markers-panel .monaco-list-rows').textContent()) ?? '';
    assert.match(problems, /e2e_removed/);
    assert.match(problems, /VS010/);
    await page.screenshot({ path: path.join(shots, '8-compat-problems.png') });
    await page.keyboard.press('Control+Shift+M');
    await command('Notifications: Clear All Notifications');
  });

  /**
   * Picks a file in VS Code's own open dialog (the quick-input one code-server shows): the
   * path typed over the folder it starts in.
   */
  const pickInDialog = async (file: string) => {
    await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(file);
    await page.waitForTimeout(800);
    await page.keyboard.press('Enter');
  };

  for (const [title, kind, fixture, shot] of [
    ['VMSD: Import QEMU vmstate dump', 'qemu-dump', 'dump-pc-i440fx-7.2.json.gz', '9-import-dump.png'],
    ['VMSD: Import descriptions from a stream', 'vmdesc', 'pc-7.2-devices.mig', '10-import-stream.png'],
  ] as const) {
    it(`imports descriptions (${kind}) into the workspace and opens the first file`, async () => {
      const input = path.join(root, 'inputs', fixture);
      fs.mkdirSync(path.dirname(input), { recursive: true });
      fs.copyFileSync(path.join(fixtures, 'qemu', fixture), input);
      const name = fixture.replace(/\.json\.gz$|\.mig$/, '');
      const out = path.join(ws, 'vmstate-import', name);

      await command(title);
      await pickInDialog(input);
      // Where to: a folder in the workspace (the first choice), under the name offered.
      await page.waitForSelector('.quick-input-widget .monaco-list-row[aria-label*="A folder in the workspace"]', { timeout: 30_000 });
      await page.keyboard.press('Enter');
      await page.waitForFunction(`document.querySelector('.quick-input-widget input')?.value === 'vmstate-import/${name}'`, undefined, { timeout: 30_000 });
      await page.keyboard.press('Enter');

      // The CLI's report as a notification, once it is done; then the first file is open.
      await page.waitForFunction("/VMSD: wrote \\d+ files? to /.test(document.querySelector('.notifications-toasts')?.textContent ?? '')", undefined, { timeout: 90_000 });
      const first = firstImportedFile(fs.readdirSync(out));
      assert.ok(first, `.vmsd files in ${out}`);
      await page.waitForSelector(`.tab.active[aria-label*="${first}"]`, { timeout: 30_000 });
      await page.screenshot({ path: path.join(shots, shot) });
      await command('Notifications: Clear All Notifications');
    });
  }
});
