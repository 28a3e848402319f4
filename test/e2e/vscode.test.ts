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
 * error squiggle and the Problems entry, completion items and hover text, the status bar,
 * restart and trace, the compatibility matrix, the imports, the encoded state preview and
 * the migration stream viewer. Screenshots go to test-output/e2e/:
 *
 * - 1-diagnostic.png: broken.vmsd, highlighted, with the error squiggle under `u9`.
 * - 2-problems.png: the Problems panel with VL100 "Unknown type `u9`; did you mean `u8`?".
 * - 3-completion.png: completion in a type position (`t: u`): u8, u16, u32, u64.
 * - 4-hover.png: the hover on hpet's `num_timers` (its wire size, 1 byte).
 * - 5-output-trace.png: the VMSD output with the protocol trace after a restart.
 * - 6-compat-baseline-pick.png: the baseline quick pick offering `vmsd.compat.baseline`.
 * - 7-compat-matrix.png: the compatibility matrix, hpet an error, its details (e2e_removed).
 * - 8-compat-problems.png: the compatibility finding (VS010, e2e_removed) in Problems.
 * - 9-import-dump.png: the first file imported from a QEMU -dump-vmstate JSON.
 * - 10-import-stream.png: the first file imported from a stream's vmdesc.
 * - 11-preview.png: hpet.vmsd beside "Preview hpet" (version 2): byte 24 of the QEMU hex
 *   (03) clicked, so `num_timers` is selected in the hex, the tree (QEMU offset 24, value
 *   3) and the details, and the editor selects `num_timers` in hpet.vmsd (status bar
 *   "Ln 57, Col 15 (10 selected)").
 * - 12-preview-version1.png: the same preview at version 1: the `num_timers` row greyed
 *   as absent ("since 2"), the timer array starting at byte 24 instead.
 * - 13-stream-viewer.png: pc-7.2-devices.mig in the stream viewer, the sections filtered
 *   by "hpet", section hpet's tree with `num_timers` = 3 selected and its byte (03 at
 *   offset 529995) selected in the hex view.
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
  /** Console errors of the page and its frames, as they come. */
  const webviewErrors: Array<{ url: string; text: string }> = [];

  /**
   * Opens the quick input with `keys` (Control+P, Control+Shift+P). A webview that has the
   * focus passes keys on to the workbench only once its page is up (a stream viewer just
   * opened takes the focus at once): the focus is taken back from a webview first, and the
   * keys pressed again when the input does not show.
   */
  const quickInput = async (keys: string) => {
    for (let attempt = 1; ; attempt++) {
      await page.evaluate("document.activeElement?.tagName === 'IFRAME' && document.activeElement.blur()");
      await page.keyboard.press(keys);
      try {
        await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: attempt < 3 ? 5_000 : 30_000 });
        return;
      } catch (e) {
        if (attempt >= 3) throw e;
      }
    }
  };

  /** Quick Open (Ctrl+P) a workspace file; resolves when its tab shows. */
  const open = async (name: string) => {
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 30_000 });
    await page.keyboard.type(name);
    await page.waitForTimeout(800);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.tab[aria-label*="${name}"]`, { timeout: 30_000 });
  };

  /**
   * Quick Open (Ctrl+P) a file by its absolute path (a workspace-relative name could match
   * an imported copy of the same file); resolves when its tab is the active one.
   */
  const openPath = async (file: string) => {
    await quickInput('Control+P');
    await page.keyboard.type(file);
    await page.waitForSelector(`.quick-input-widget .monaco-list-row[aria-label*="${path.basename(file)}"]`, { timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
    await page.waitForSelector(`.tab.active[aria-label*="${path.basename(file)}"]`, { timeout: 30_000 });
  };

  /** Runs a command from the palette by its title (`VMSD: …`). */
  const command = async (title: string) => {
    await quickInput('Control+Shift+P');
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
    // The fixture stream the stream viewer opens (*.mig: its custom editor's selector).
    fs.copyFileSync(path.join(fixtures, 'qemu', 'pc-7.2-devices.mig'), path.join(ws, 'pc-7.2-devices.mig'));
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
    // Errors the webviews log (their frames' scripts, or VS Code's host page around them).
    page.on('console', (m) => {
      if (m.type() === 'error') webviewErrors.push({ url: m.location().url ?? '', text: m.text() });
    });
    page.on('pageerror', (e) => webviewErrors.push({ url: /\b(?:https?|vscode-webview):\/\/[^\s)]+/.exec(e.stack ?? '')?.[0] ?? '', text: `uncaught ${e.stack ?? e.message}` }));
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

    // Highlighting: the grammar (and the server's semantic tokens) colour `include`, `vmstate`,
    // the description's name and the number each their own way. Monaco renders a
    // token as a span of class mtkN, one N per colour.
    const colours = (await page.evaluate(`(() => {
      const out = {};
      for (const span of document.querySelectorAll('.monaco-editor .view-line span span')) {
        const t = span.textContent.trim();
        if (['include', 'vmstate', 'broken', 'version', '1'].includes(t) && !(t in out)) out[t] = getComputedStyle(span).color;
      }
      return out;
    })()`)) as Record<string, string>;
    assert.deepEqual(Object.keys(colours).sort(), ['1', 'broken', 'include', 'version', 'vmstate'], JSON.stringify(colours));
    assert.notEqual(colours.vmstate, colours.broken, 'a keyword and a name differ');
    assert.notEqual(colours['1'], colours.broken, 'a number and a name differ');
    assert.notEqual(colours.include, colours.broken, 'include and a name differ');
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
    const ready = "(document.querySelector('.statusbar-item[id$=\"vmsd.status\"]')?.getAttribute('aria-label') ?? '').includes('vmsd language server: ready')";
    const traced = "/\\[trace\\]\\s(Sending|Received)\\s(request|response|notification)\\s'/.test(document.querySelector('.part.panel')?.textContent ?? '')";
    // VS Code notices a settings.json written behind its back within a second or two, but
    // not at a fixed time: a restart that came first is followed by a second one.
    for (let attempt = 1; ; attempt++) {
      await page.waitForTimeout(1500 * attempt);
      await command('VMSD: Restart Language Server');
      await page.waitForFunction(ready, undefined, { timeout: 60_000 });
      await command('VMSD: Show Output');
      // The output is an editor that shows its last lines: the new server's conversation.
      const seen = await page.waitForFunction(traced, undefined, { timeout: attempt < 3 ? 15_000 : 30_000 }).then(() => true, (e: unknown) => (attempt < 3 ? false : Promise.reject(e)));
      if (seen) break;
      await page.keyboard.press('Control+J'); // close the panel before trying again
    }
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

  // The preview and the stream viewer run before the imports: those add second and third
  // copies of many descriptions to the workspace (vmstate-import/), and the stream viewer
  // decodes a section with the copy of its wire name the server learned of last
  // (sectionDescriptions in server/src/codec/stream.ts, in the order of the workspace's
  // files), which follows the file watcher's events, not the paths. With the dump's
  // kvm-tpr-opt (`opaque "unknown"` fields, no sizes) it fails at 0x80f9d, some runs.

  /**
   * Waits until `expression` is truthy in a webview's frame. Polled from here: the webviews'
   * CSP has no 'unsafe-eval', so Playwright's in-page polling of a string predicate fails.
   */
  const frameUntil = async (frame: import('playwright-core').Frame, expression: string, what: string, timeoutMs = 30_000): Promise<void> => {
    const end = Date.now() + timeoutMs;
    for (;;) {
      if (await frame.evaluate(expression).catch(() => false)) return;
      if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
      await page.waitForTimeout(100);
    }
  };

  /**
   * Errors of the webviews since `from`: logged or thrown by their scripts (the extension's
   * dist/webview/*.js, VS Code's webview host pages), failed loads of their resources, or
   * with no script to name (CSP violations). The workbench's own noise (its bundle, the
   * missing vsda module, the unreachable gallery) is not theirs.
   */
  const scriptErrors = (from: number) => webviewErrors.slice(from).filter((e) => e.url === '' || /webview|vscode-resource|vscode-remote-resource|\/dist\//.test(e.url));

  it('previews the encoded state: the hex view and the tree show num_timers at offset 24, a byte reveals its field', async () => {
    const errorsBefore = webviewErrors.length;
    const file = path.join(ws, 'hpet.vmsd');
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    const decl = lines.findIndex((l) => /^vmstate hpet \{/.test(l));
    assert.ok(decl >= 0, 'hpet.vmsd declares vmstate hpet');
    // The cursor inside `vmstate hpet`, on another field than num_timers (its first one, config).
    const config = lines.findIndex((l, i) => i > decl && /^\s+config: u64/.test(l)) + 1;
    const numTimers = lines.findIndex((l, i) => i > decl && /^\s+num_timers: u8/.test(l)) + 1;
    const numTimersCol = lines[numTimers - 1].indexOf('num_timers') + 1;
    assert.ok(config > decl && numTimers > config, `config at ${config}, num_timers at ${numTimers}`);

    await openPath(file);
    // One editor group (the earlier tests left the matrix beside): the preview gets its own.
    await command('View: Join All Editor Groups');
    await page.waitForFunction("document.querySelectorAll('.editor-group-container').length === 1", undefined, { timeout: 30_000 });
    await page.waitForSelector('.tab.active[aria-label*="hpet.vmsd"]', { timeout: 30_000 });
    await page.keyboard.press('Control+G');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible', timeout: 30_000 });
    await page.keyboard.type(String(config));
    await page.keyboard.press('Enter');
    const selection = page.locator('[id="status.editor.selection"]');
    await page.waitForFunction(`/Ln ${config}, Col 1\\b/.test(document.getElementById('status.editor.selection')?.textContent ?? '')`, undefined, { timeout: 30_000 });
    await command('VMSD: Preview Encoded State');

    // The panel beside the editor: a webview (`iframe.webview.ready` → `#active-frame`).
    await page.waitForSelector('.tab[aria-label*="Preview hpet"]', { timeout: 60_000 });
    const frame = await webviewFrame('#hex-qemu');
    await frame.waitForSelector('#content:not([hidden])', { timeout: 60_000 });
    await frameUntil(frame, "!document.body.classList.contains('busy') && document.getElementById('title')?.textContent === 'hpet'", 'the preview of hpet', 60_000);
    assert.equal(await frame.locator('#version').inputValue(), '2', 'the current version');
    assert.equal(await frame.locator('#format').inputValue(), 'both', 'vmsd.preview.format: QEMU and CBOR');
    assert.match(await frame.locator('#machine').inputValue(), /^pc-/, 'a machine type');
    assert.ok(await frame.locator('#banner').isHidden(), `no error banner: ${await frame.locator('#banner').textContent()}`);
    assert.ok(await frame.locator('#empty').isHidden());
    assert.match((await frame.locator('#sizes').textContent()) ?? '', /QEMU .* · CBOR /);
    assert.match((await frame.locator('#size-qemu').textContent()) ?? '', /\d+ bytes?/);
    assert.match((await frame.locator('#size-cbor').textContent()) ?? '', /\d+ bytes?/);

    // The known field at its known offset: config, isr, hpet_counter (3 × u64), then num_timers = 3.
    const byte = frame.locator('#qemu-b-24');
    await byte.waitFor({ timeout: 30_000 });
    assert.equal(((await byte.textContent()) ?? '').trim(), '03');
    assert.equal(await byte.getAttribute('data-offset'), '24');
    assert.equal(await byte.getAttribute('data-path'), 'hpet.num_timers');
    const row = frame.locator('#tree .row[data-path="hpet.num_timers"]');
    await row.waitFor({ timeout: 30_000 });
    assert.equal(((await row.locator('.cell.qemu-off').textContent()) ?? '').trim(), '24');
    assert.equal(((await row.locator('.cell.qemu-size').textContent()) ?? '').trim(), '1');
    assert.equal(((await row.locator('.cell.value').textContent()) ?? '').trim(), '3');
    assert.doesNotMatch((await row.getAttribute('class')) ?? '', /\babsent\b/);

    // Click the byte: the field is selected everywhere, and its declaration in the editor.
    await byte.click();
    await frame.waitForSelector('#qemu-b-24.sel', { timeout: 30_000 });
    await frame.waitForSelector('#tree .row.selected[data-path="hpet.num_timers"]', { timeout: 30_000 });
    assert.match((await frame.locator('#details').textContent()) ?? '', /hpet\.num_timers/);
    // The selection in the editor (unfocused: the panel keeps the focus): `num_timers` highlighted.
    await page.waitForFunction(
      `[...document.querySelectorAll('.editor-instance .monaco-editor')].some((e) => e.querySelector('.view-overlays .selected-text') && (e.closest('.editor-group-container')?.querySelector('.tab.active')?.getAttribute('aria-label') ?? '').includes('hpet.vmsd'))`,
      undefined,
      { timeout: 30_000 },
    );
    // Focus that editor (its tab: the selection stays): the status bar says where the selection
    // is, by its active end: `num_timers` selected from its first column, the cursor after it.
    await page.locator('.tab.active[aria-label*="hpet.vmsd"]').first().click();
    await page.waitForFunction(
      `(document.getElementById('status.editor.selection')?.textContent ?? '').includes('Ln ${numTimers}, Col ${numTimersCol + 'num_timers'.length} (10 selected)')`,
      undefined,
      { timeout: 30_000 },
    ).catch(async (e) => {
      throw new Error(`the editor does not select num_timers (line ${numTimers}, from column ${numTimersCol}): status bar "${await selection.textContent()}"; ${e}`);
    });
    await page.screenshot({ path: path.join(shots, '11-preview.png') });

    // Version 1: num_timers is absent (`since 2`), the timer array starts at its offset.
    await frame.locator('#version').selectOption('1');
    await frameUntil(frame, "!document.body.classList.contains('busy') && document.getElementById('version')?.value === '1'", 'the preview at version 1', 60_000);
    await frame.waitForSelector('#tree .row.absent[data-path="hpet.num_timers"]', { timeout: 30_000 });
    const absent = frame.locator('#tree .row[data-path="hpet.num_timers"]');
    assert.equal(((await absent.locator('.cell.qemu-off').textContent()) ?? '').trim(), '');
    assert.equal(((await absent.locator('.cell.value').textContent()) ?? '').trim(), '');
    assert.match((await absent.locator('.cell.why').textContent()) ?? '', /absent/);
    await frameUntil(frame, "document.getElementById('qemu-b-24')?.dataset.path !== undefined && document.getElementById('qemu-b-24')?.dataset.path !== 'hpet.num_timers'", 'byte 24 belongs to another field at version 1');
    assert.match((await frame.locator('#qemu-b-24').getAttribute('data-path')) ?? '', /^hpet\.timer\[0\]/);
    await page.screenshot({ path: path.join(shots, '12-preview-version1.png') });

    assert.deepEqual(scriptErrors(errorsBefore), [], 'no console errors from the webviews');
  });

  it('opens a migration stream in the stream viewer: section hpet, num_timers = 3 at offset 529995', async () => {
    const errorsBefore = webviewErrors.length;
    // *.mig is the custom editor's selector: Quick Open opens it in the stream viewer.
    await openPath(path.join(ws, 'pc-7.2-devices.mig'));
    const frame = await webviewFrame('#section-filter', 90_000);
    await frame.waitForSelector('#app[data-state="ready"]', { timeout: 90_000 });
    // The whole width for it: the other editors (the preview, the matrix) join its group.
    await command('View: Join All Editor Groups');
    await page.waitForFunction("document.querySelectorAll('.editor-group-container').length === 1", undefined, { timeout: 30_000 });
    await page.waitForSelector('.tab.active[aria-label*="pc-7.2-devices.mig"]', { timeout: 30_000 });
    await frame.waitForSelector('#app[data-state="ready"]', { timeout: 90_000 });
    assert.ok(await frame.locator('#banner').isHidden(), `no decode error: ${await frame.locator('#banner').textContent()}`);

    await frame.locator('#section-filter').fill('hpet');
    await frameUntil(frame, "document.querySelectorAll('#sections .section-row[data-idstr]').length > 0 && [...document.querySelectorAll('#sections .section-row[data-idstr]')].every((r) => r.dataset.idstr.includes('hpet'))", 'only hpet sections listed');
    const section = frame.locator('.section-row[data-idstr="hpet"]');
    await section.click();
    await frame.waitForSelector('.section-row.selected[data-idstr="hpet"]', { timeout: 30_000 });
    assert.match((await frame.locator('#section-info').textContent()) ?? '', /decoded by the description hpet/);

    const row = frame.locator('.tree-row[data-path="hpet.num_timers"]');
    await frameUntil(frame, "document.querySelector('.tree-row[data-path=\"hpet.num_timers\"] .tree-value')?.textContent === '3'", 'hpet.num_timers = 3 in the tree');
    assert.equal(await row.getAttribute('data-start'), '529995');
    assert.equal(await row.getAttribute('data-end'), '529996');

    // Selecting it selects its byte in the hex view (loaded a page at a time).
    await row.click();
    await frame.waitForSelector('.tree-row.selected[data-path="hpet.num_timers"]', { timeout: 30_000 });
    await frameUntil(frame, "(() => { const s = document.querySelectorAll('#hex .hex-byte.selected'); return s.length === 1 && s[0].dataset.offset === '529995' && s[0].textContent === '03'; })()", 'the byte of num_timers selected').catch(async (e) => {
      const got = await frame.evaluate("[...document.querySelectorAll('#hex .hex-byte.selected')].map((x) => x.dataset.offset + ':' + x.textContent).join(', ')");
      throw new Error(`the selected hex bytes are [${String(got)}], not 529995:03; ${e}`);
    });
    assert.match((await frame.locator('#hex-info').textContent()) ?? '', /hpet\.num_timers \(u8 = 3/);
    await page.screenshot({ path: path.join(shots, '13-stream-viewer.png') });

    assert.deepEqual(scriptErrors(errorsBefore), [], 'no console errors from the webviews');
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

      // The webviews of the earlier tests (preview, stream viewer, matrix) re-render when
      // the import writes .vmsd files into the workspace; closed, none can take the focus
      // (and with it the quick pick) while the import asks where to write.
      await command('View: Close All Editors');
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
