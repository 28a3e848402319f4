import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { examplesDir } from '../util/paths';
import { startClient, TestClient } from './client';

/**
 * Compatibility diagnostics in the editor: the baseline named by `vmsd.compat.baseline`
 * (here the examples folder, given as an initialization option), compared as you type.
 */
describe('lsp: compatibility against a baseline', function () {
  this.timeout(30_000);
  let dir: string;
  let client: TestClient;
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).href;
  const text = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
  let version = 1;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp-compat-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    client = await startClient(pathToFileURL(dir).href, {}, {}, { compat: { baseline: examplesDir } });
  });
  after(async () => {
    await client.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const change = async (name: string, content: string) => {
    const v = ++version;
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri(name), version: v }, contentChanges: [{ text: content }] });
    return (await client.diagnostics(uri(name), (p) => p.version === v)).diagnostics;
  };

  it('reports a version bump as it is typed, and drops it when undone', async () => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('hpet.vmsd'), languageId: 'vmsd', version: 1, text: text('hpet.vmsd') } });
    assert.deepEqual((await client.diagnostics(uri('hpet.vmsd'))).diagnostics, []);
    const bumped = text('hpet.vmsd').replace('vmstate hpet {\n    version 2', 'vmstate hpet {\n    version 3');
    const diags = await change('hpet.vmsd', bumped);
    const vs004 = diags.find((d) => d.code === 'VS004');
    assert.ok(vs004, JSON.stringify(diags));
    assert.match(String(vs004.message), /version raised from 2 to 3.*\(new→old\)$/);
    assert.equal(vs004.severity, 1);
    assert.equal(bumped.split('\n')[vs004.range.start.line].trim(), 'version 3');
    assert.deepEqual(await change('hpet.vmsd', text('hpet.vmsd')), []);
  });

  it('hover on a description shows its verdicts per direction and machine types', async () => {
    const bumped = text('hpet.vmsd').replace('vmstate hpet {\n    version 2', 'vmstate hpet {\n    version 3');
    await change('hpet.vmsd', bumped);
    const line = bumped.split('\n').findIndex((l) => l.startsWith('vmstate hpet {'));
    const h = (await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri('hpet.vmsd') }, position: { line, character: 9 } })) as { contents: { value: string } };
    assert.match(h.contents.value, /\*\*Migration against /);
    assert.match(h.contents.value, /\| old→new \| all \d+ \| ok \| same wire layout \|/);
    assert.match(h.contents.value, /\| new→old \| all \d+ \| error \| VS004 /);
    await change('hpet.vmsd', text('hpet.vmsd'));
  });

  it('a removed field offers `unused N` in its place, which makes it compatible', async () => {
    const original = text('mc146818rtc.vmsd');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('mc146818rtc.vmsd'), languageId: 'vmsd', version: ++version, text: original } });
    const removed = original.replace(/\n[ \t]*\/\/\/[^\n]*\n[ \t]*cmos_index: u8\n/, '\n').replace(/\n[ \t]*cmos_index: u8\n/, '\n');
    assert.notEqual(removed, original);
    const diags = await change('mc146818rtc.vmsd', removed);
    const vs010 = diags.find((d) => d.code === 'VS010');
    assert.ok(vs010, JSON.stringify(diags.map((d) => d.code)));
    assert.match(String(vs010.message), /field "cmos_index" \(u8\) was removed.*\(old→new, new→old\)$/);
    assert.match(vs010.relatedInformation?.[0].message ?? '', /in the baseline/);
    const actions = (await client.connection.sendRequest('textDocument/codeAction', {
      textDocument: { uri: uri('mc146818rtc.vmsd') },
      range: vs010.range,
      context: { diagnostics: [vs010] },
    })) as Array<{ title: string; edit: { changes: Record<string, Array<{ range: { start: { line: number; character: number } }; newText: string }>> } }>;
    const keep = actions.find((a) => a.title === 'Keep `unused 1` where `cmos_index` was');
    assert.ok(keep, actions.map((a) => a.title).join(', '));
    const [edit] = keep.edit.changes[uri('mc146818rtc.vmsd')];
    const lines = removed.split('\n');
    lines.splice(edit.range.start.line, 0, ...edit.newText.replace(/\n$/, '').split('\n'));
    const after = await change('mc146818rtc.vmsd', lines.join('\n'));
    assert.deepEqual(after.filter((d) => d.severity === 1).map((d) => d.code), []);
  });
});

describe('lsp: the default baseline is git (merge-base with the upstream, else HEAD)', function () {
  this.timeout(30_000);
  let repo: string;
  let client: TestClient;
  const git = (...args: string[]) => {
    const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(repo) } });
    assert.equal(r.status, 0, r.stderr);
  };
  const uri = (name: string) => pathToFileURL(path.join(repo, 'ex', name)).href;

  before(async function () {
    if (spawnSync('git', ['--version']).status !== 0) this.skip(); // scripts/install-test-deps.sh installs it
    repo = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp-git-'));
    fs.mkdirSync(path.join(repo, 'ex'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(repo, 'ex', f));
    git('init', '-q');
    git('add', '.');
    git('commit', '-qm', 'baseline');
    client = await startClient(pathToFileURL(repo).href);
  });
  after(async () => {
    await client?.close();
    if (repo) fs.rmSync(repo, { recursive: true, force: true });
  });

  it('an unsaved version bump is reported against HEAD, gone once committed; `off` turns the checks off', async () => {
    const text = fs.readFileSync(path.join(repo, 'ex', 'hpet.vmsd'), 'utf8').replace('vmstate hpet {\n    version 2', 'vmstate hpet {\n    version 3');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('hpet.vmsd'), languageId: 'vmsd', version: 1, text } });
    const on = await client.diagnostics(uri('hpet.vmsd'), (p) => p.diagnostics.some((d) => d.code === 'VS004'));
    const vs004 = on.diagnostics.find((d) => d.code === 'VS004')!;
    // No file to open at a git baseline's place: the message says where it is.
    assert.match(vs004.relatedInformation?.[0].message ?? '', /in the baseline: git:[0-9a-f]{40}:ex\/hpet\.vmsd:\d+:\d+$/);
    // Committed: HEAD moved, and after the save the bump is the baseline itself.
    fs.writeFileSync(path.join(repo, 'ex', 'hpet.vmsd'), text);
    git('commit', '-qam', 'hpet version 3');
    await client.connection.sendNotification('textDocument/didSave', { textDocument: { uri: uri('hpet.vmsd') } });
    await client.diagnostics(uri('hpet.vmsd'), (p) => !p.diagnostics.some((d) => d.code === 'VS004'));
    // Uncommitted again, then the checks turned off.
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri('hpet.vmsd'), version: 2 }, contentChanges: [{ text: text.replace('version 3', 'version 4') }] });
    await client.diagnostics(uri('hpet.vmsd'), (p) => p.version === 2 && p.diagnostics.some((d) => d.code === 'VS004'));
    await client.connection.sendNotification('workspace/didChangeConfiguration', { settings: { vmsd: { compat: { baseline: 'off' } } } });
    await client.diagnostics(uri('hpet.vmsd'), (p) => !p.diagnostics.some((d) => String(d.code).startsWith('VS')));
  });
});
