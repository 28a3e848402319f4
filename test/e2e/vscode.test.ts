import * as assert from 'node:assert/strict';
import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { examplesDir, repoRoot } from '../util/paths';
import { hasProgram, requireProgram } from '../util/external';

/**
 * VS Code for real: code-server 4.100.3 (VS Code 1.100.3) with this repository linked in
 * as the extension, driven by Debian's Chromium through playwright-core. Asserts the error
 * squiggle and the Problems entry, completion items and hover text; screenshots go to
 * test-output/e2e/.
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

describe('e2e: VS Code (code-server + Chromium)', function () {
  this.timeout(300_000);
  let server: cp.ChildProcess | undefined;
  let browser: import('playwright-core').Browser | undefined;

  after(async () => {
    await browser?.close().catch(() => undefined);
    server?.kill();
  });

  it('shows the diagnostic, completes and hovers through the extension', async function () {
    requireProgram(this, 'chromium', 'apt-get install chromium');
    if (!fs.existsSync(codeServer)) {
      const msg = 'code-server is not installed; run scripts/install-test-deps.sh';
      if (process.env.CI === 'true') throw new Error(msg);
      console.warn(`\n  !!! SKIPPED: ${msg}\n`);
      this.skip();
    }
    assert.ok(hasProgram('chromium'));
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-vscode-'));
    const ws = path.join(root, 'ws');
    const ext = path.join(root, 'extensions');
    const ud = path.join(root, 'user-data');
    fs.mkdirSync(ws);
    fs.mkdirSync(ext);
    fs.mkdirSync(path.join(ud, 'User'), { recursive: true });
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(ws, f));
    fs.writeFileSync(path.join(ws, 'broken.vmsd'), 'include "hpet.vmsd"\n\nvmstate broken {\n    version 1\n    count: u9\n}\n');
    fs.symlinkSync(repoRoot, path.join(ext, 'vmsd.vmsd-0.1.0'));
    fs.writeFileSync(
      path.join(ud, 'User', 'settings.json'),
      JSON.stringify({ 'workbench.startupEditor': 'none', 'update.mode': 'none', 'telemetry.telemetryLevel': 'off', 'security.workspace.trust.enabled': false, 'workbench.tips.enabled': false }),
    );
    fs.mkdirSync(shots, { recursive: true });

    const port = await freePort();
    server = cp.spawn(codeServer, ['--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', '--disable-workspace-trust', '--extensions-dir', ext, '--user-data-dir', ud, ws], {
      env: { ...process.env, XDG_CONFIG_HOME: path.join(root, 'config'), XDG_DATA_HOME: path.join(root, 'data') },
      stdio: 'ignore',
    });
    await waitHttp(`http://127.0.0.1:${port}/healthz`, 60_000);

    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      env: { ...process.env, XDG_CONFIG_HOME: path.join(root, 'chromium-config') },
    });
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(ws)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.waitForTimeout(3000);

    const open = async (name: string) => {
      await page.keyboard.press('Control+P');
      await page.waitForSelector('.quick-input-widget input', { timeout: 30_000 });
      await page.keyboard.type(name);
      await page.waitForTimeout(800);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`.tab[aria-label*="${name}"]`, { timeout: 30_000 });
    };

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
    const suggest = async (typed: string): Promise<string[]> => {
      await page.keyboard.type(typed);
      await page.keyboard.press('Control+Space');
      await page.waitForSelector('.suggest-widget .monaco-list-row', { timeout: 30_000 });
      await page.waitForTimeout(500);
      return page.locator('.suggest-widget .monaco-list-row .label-name').allTextContents();
    };
    const builtins = await suggest('t: u');
    await page.screenshot({ path: path.join(shots, '3-completion.png') });
    for (const l of ['u8', 'u16', 'u32', 'u64']) assert.ok(builtins.some((x) => x.trim() === l), `completion lacks ${l}: ${builtins.join(', ')}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Backspace');
    const described = await suggest('hpet');
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
});
