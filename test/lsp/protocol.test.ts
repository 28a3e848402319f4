import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { examplesDir } from '../util/paths';
import { startClient, TestClient } from './client';

/** The built server over stdio, spoken to by the same protocol library VS Code uses. */
describe('lsp: protocol over stdio', function () {
  this.timeout(30_000);
  let dir: string;
  let client: TestClient;
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).href;
  const text = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    client = await startClient(pathToFileURL(dir).href);
  });
  after(async () => {
    await client.close();
  });

  const open = async (name: string, content = text(name)) => {
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(name), languageId: 'vmsd', version: 1, text: content } });
  };

  it('publishes diagnostics with the document version, and clears them when fixed', async () => {
    await open('hpet.vmsd');
    const clean = await client.diagnostics(uri('hpet.vmsd'));
    assert.equal(clean.version, 1);
    assert.deepEqual(clean.diagnostics, []);
    const broken = text('hpet.vmsd').replace('config: u64', 'config: u65');
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri('hpet.vmsd'), version: 2 }, contentChanges: [{ text: broken }] });
    const bad = await client.diagnostics(uri('hpet.vmsd'), (p) => p.version === 2);
    assert.equal(bad.diagnostics.length, 1);
    assert.equal(bad.diagnostics[0].code, 'VL100');
    assert.match(String(bad.diagnostics[0].message), /did you mean `u64`/);
    await client.connection.sendNotification('textDocument/didChange', { textDocument: { uri: uri('hpet.vmsd'), version: 3 }, contentChanges: [{ text: text('hpet.vmsd') }] });
    const fixed = await client.diagnostics(uri('hpet.vmsd'), (p) => p.version === 3);
    assert.deepEqual(fixed.diagnostics, []);
  });

  it('a burst of edits costs one analysis and ends with the last version', async () => {
    await open('i8259.vmsd');
    await client.diagnostics(uri('i8259.vmsd'));
    const base = text('i8259.vmsd');
    for (let v = 2; v <= 30; v++) {
      await client.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri: uri('i8259.vmsd'), version: v },
        contentChanges: [{ text: base + '\n'.repeat(v) + (v === 30 ? 'const X = 1\n' : '') }],
      });
    }
    const last = await client.diagnostics(uri('i8259.vmsd'), (p) => p.version === 30);
    assert.deepEqual(last.diagnostics.map((d) => d.code), ['VL500']);
  });

  it('hover shows the type, wire size and offset of a field', async () => {
    await open('hpet.vmsd');
    const lines = text('hpet.vmsd').split('\n');
    const line = lines.findIndex((l) => /^\s+num_timers: u8/.test(l));
    const h = (await client.connection.sendRequest('textDocument/hover', {
      textDocument: { uri: uri('hpet.vmsd') },
      position: { line, character: lines[line].indexOf('num_timers') + 2 },
    })) as { contents: { value: string } };
    assert.match(h.contents.value, /size 1 byte/);
    assert.match(h.contents.value, /offset 24/);
    assert.match(h.contents.value, /Sent from version 2/);
  });

  it('goes to the definition in another file', async () => {
    await open('e1000.vmsd');
    const lines = text('e1000.vmsd').split('\n');
    const line = lines.findIndex((l) => /parent_obj: PCIDevice/.test(l));
    const loc = (await client.connection.sendRequest('textDocument/definition', {
      textDocument: { uri: uri('e1000.vmsd') },
      position: { line, character: lines[line].indexOf('PCIDevice') + 1 },
    })) as { uri: string; range: { start: { line: number } } };
    assert.equal(loc.uri, uri('pci.vmsd'));
    assert.match(text('pci.vmsd').split('\n')[loc.range.start.line], /vmstate PCIDevice/);
  });

  it('formats like vmsd fmt', async () => {
    const messy = 'vmstate   a {x:u8\n  y :u16}\n';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('messy.vmsd'), languageId: 'vmsd', version: 1, text: messy } });
    const edits = (await client.connection.sendRequest('textDocument/formatting', {
      textDocument: { uri: uri('messy.vmsd') },
      options: { tabSize: 4, insertSpaces: true },
    })) as Array<{ range: { start: { line: number; character: number }; end: { line: number; character: number } }; newText: string }>;
    assert.equal(edits.length, 1);
    const lines = messy.split('\n');
    const startOff = lines.slice(0, edits[0].range.start.line).reduce((n, l) => n + l.length + 1, 0) + edits[0].range.start.character;
    const endOff = lines.slice(0, edits[0].range.end.line).reduce((n, l) => n + l.length + 1, 0) + edits[0].range.end.character;
    assert.equal(messy.slice(0, startOff) + edits[0].newText + messy.slice(endOff), 'vmstate a {\n    x: u8\n    y: u16\n}\n');
  });

  it('lists document symbols hierarchically and finds workspace symbols', async () => {
    const symbols = (await client.connection.sendRequest('textDocument/documentSymbol', { textDocument: { uri: uri('hpet.vmsd') } })) as Array<{ name: string; children?: Array<{ name: string }> }>;
    const hpet = symbols.find((s) => s.name === 'hpet')!;
    assert.ok(hpet.children!.some((c) => c.name === 'num_timers'));
    assert.ok(hpet.children!.some((c) => c.name === 'offset'));
    const ws = (await client.connection.sendRequest('workspace/symbol', { query: 'pit' })) as Array<{ name: string }>;
    assert.ok(ws.some((s) => s.name === 'pit_channel'));
  });

  it('writes nothing but the protocol to stdout and survives a request for an unknown file', async () => {
    const h = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri: uri('nope.vmsd') }, position: { line: 0, character: 0 } });
    assert.equal(h, null);
    assert.doesNotMatch(client.stderr(), /uncaught/);
  });
});

describe('lsp: protocol, more features', function () {
  this.timeout(30_000);
  let dir: string;
  let client: TestClient;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp2-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    client = await startClient(pathToFileURL(dir).href);
  });
  after(async () => {
    await client.close();
  });
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).href;

  it('completion offers types after a colon, with documentation on resolve', async () => {
    const text = 'include "hpet.vmsd"\n\nvmstate mine {\n    t: \n}\n';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('mine.vmsd'), languageId: 'vmsd', version: 1, text } });
    const list = (await client.connection.sendRequest('textDocument/completion', { textDocument: { uri: uri('mine.vmsd') }, position: { line: 3, character: 7 } })) as { isIncomplete: boolean; items: Array<{ label: string; data: unknown }> };
    // Nothing typed yet: asked again when the word starts.
    assert.equal(list.isIncomplete, true);
    const items = list.items;
    const labels = items.map((i) => i.label);
    for (const l of ['u8', 'timer', 'hpet_timer', 'bytes']) assert.ok(labels.includes(l), l);
    const resolved = (await client.connection.sendRequest('completionItem/resolve', items.find((i) => i.label === 'hpet_timer'))) as { documentation: { value: string } };
    assert.match(resolved.documentation.value, /Wire name `hpet_timer`/);
  });

  it('semantic tokens and inlay hints over the protocol', async () => {
    const tokens = (await client.connection.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri: uri('hpet.vmsd') } })) as { data: number[] };
    assert.ok(tokens.data.length > 100 && tokens.data.length % 5 === 0);
    const hints = (await client.connection.sendRequest('textDocument/inlayHint', {
      textDocument: { uri: uri('hpet.vmsd') },
      range: { start: { line: 0, character: 0 }, end: { line: 500, character: 0 } },
    })) as Array<{ label: string }>;
    assert.ok(hints.some((h) => h.label.trim() === '@24 1B'), JSON.stringify(hints.map((h) => h.label)));
  });

  it('rename: refused for a wire name, with the reason', async () => {
    const text = fs.readFileSync(path.join(dir, 'timer.vmsd'), 'utf8').split('\n');
    const line = text.findIndex((l) => /^vmstate timer/.test(l));
    await assert.rejects(
      client.connection.sendRequest('textDocument/prepareRename', { textDocument: { uri: uri('timer.vmsd') }, position: { line, character: 10 } }),
      /wire name/,
    );
  });
});

describe('lsp: protocol, every feature', function () {
  this.timeout(30_000);
  let dir: string;
  let client: TestClient;
  const uri = (name: string) => pathToFileURL(path.join(dir, name)).href;
  const lines = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n');
  const posOf = (name: string, re: RegExp, word: string) => {
    const ls = lines(name);
    const line = ls.findIndex((l) => re.test(l));
    return { line, character: ls[line].indexOf(word) + 1 };
  };
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp3-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    client = await startClient(pathToFileURL(dir).href, { textDocument: { diagnostic: {} } });
    for (const f of ['hpet.vmsd', 'e1000.vmsd', 'pci.vmsd']) {
      await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri(f), languageId: 'vmsd', version: 1, text: lines(f).join('\n') } });
    }
  });
  after(async () => {
    await client.close();
  });
  const req = <T>(method: string, params: object) => client.connection.sendRequest(method, params) as Promise<T>;

  it('pull diagnostics when the client supports them', async () => {
    const r = await req<{ kind: string; items: unknown[] }>('textDocument/diagnostic', { textDocument: { uri: uri('hpet.vmsd') } });
    assert.equal(r.kind, 'full');
    assert.deepEqual(r.items, []);
  });

  it('references, highlights and type definition', async () => {
    const at = posOf('pci.vmsd', /^vmstate PCIDevice/, 'PCIDevice');
    const refs = await req<Array<{ uri: string }>>('textDocument/references', { textDocument: { uri: uri('pci.vmsd') }, position: at, context: { includeDeclaration: true } });
    assert.ok(refs.some((r) => r.uri === uri('e1000.vmsd')) && refs.some((r) => r.uri === uri('pci.vmsd')));
    const hl = await req<Array<{ kind: number }>>('textDocument/documentHighlight', { textDocument: { uri: uri('hpet.vmsd') }, position: posOf('hpet.vmsd', /^\s+num_timers: u8/, 'num_timers') });
    assert.ok(hl.length >= 2 && hl.some((h) => h.kind === 3));
    const td = await req<{ uri: string; range: { start: { line: number } } }>('textDocument/typeDefinition', { textDocument: { uri: uri('e1000.vmsd') }, position: posOf('e1000.vmsd', /parent_obj: PCIDevice/, 'parent_obj') });
    assert.equal(td.uri, uri('pci.vmsd'));
  });

  it('rename of a constant edits every file', async () => {
    const at = posOf('hpet.vmsd', /^const HPET_MIN_TIMERS/, 'HPET_MIN_TIMERS');
    const edit = await req<{ changes: Record<string, unknown[]> }>('textDocument/rename', { textDocument: { uri: uri('hpet.vmsd') }, position: at, newName: 'HPET_TIMERS_MIN' });
    assert.ok(edit.changes[uri('hpet.vmsd')].length >= 2);
  });

  it('folding, selection ranges, links and range formatting', async () => {
    const folds = await req<unknown[]>('textDocument/foldingRange', { textDocument: { uri: uri('hpet.vmsd') } });
    assert.ok(folds.length > 5);
    const sel = await req<Array<{ range: unknown; parent?: unknown }>>('textDocument/selectionRange', { textDocument: { uri: uri('hpet.vmsd') }, positions: [posOf('hpet.vmsd', /^\s+num_timers: u8/, 'u8')] });
    assert.ok(sel[0].parent);
    const links = await req<Array<{ target: string }>>('textDocument/documentLink', { textDocument: { uri: uri('e1000.vmsd') } });
    assert.ok(links.some((l) => l.target === uri('pci.vmsd')));
    const edits = await req<unknown[]>('textDocument/rangeFormatting', { textDocument: { uri: uri('hpet.vmsd') }, range: { start: { line: 0, character: 0 }, end: { line: 10, character: 0 } }, options: { tabSize: 4, insertSpaces: true } });
    assert.deepEqual(edits, []);
  });

  it('semantic tokens for a range, and code actions with their edits', async () => {
    const toks = await req<{ data: number[] }>('textDocument/semanticTokens/range', { textDocument: { uri: uri('hpet.vmsd') }, range: { start: { line: 40, character: 0 }, end: { line: 60, character: 0 } } });
    assert.ok(toks.data.length > 0);
    const bad = 'vmstate x {\n    a: u9\n}\n';
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri: uri('x.vmsd'), languageId: 'vmsd', version: 1, text: bad } });
    const actions = await req<Array<{ title: string; edit: { changes: Record<string, Array<{ newText: string }>> } }>>('textDocument/codeAction', {
      textDocument: { uri: uri('x.vmsd') },
      range: { start: { line: 1, character: 8 }, end: { line: 1, character: 8 } },
      context: { diagnostics: [] },
    });
    const fix = actions.find((a) => a.title === 'Change to `u8`');
    assert.ok(fix, actions.map((a) => a.title).join(', '));
    assert.equal(fix.edit.changes[uri('x.vmsd')][0].newText, 'u8');
  });

  it('watched files: a file created on disk becomes visible', async () => {
    fs.writeFileSync(path.join(dir, 'extra.vmsd'), 'const EXTRA = 1\n');
    await client.connection.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: uri('extra.vmsd'), type: 1 }] });
    const ws = await req<Array<{ name: string }>>('workspace/symbol', { query: 'EXTRA' });
    assert.ok(ws.some((s) => s.name === 'EXTRA'));
  });
});

describe('lsp: a failing feature does not take the server down', function () {
  this.timeout(30_000);
  it('logs the failure to the client, answers with nothing, and keeps serving', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-lsp4-'));
    fs.copyFileSync(path.join(examplesDir, 'hpet.vmsd'), path.join(dir, 'hpet.vmsd'));
    const client = await startClient(pathToFileURL(dir).href, {}, { VMSD_TEST_FAULT: 'hover' });
    const uri = pathToFileURL(path.join(dir, 'hpet.vmsd')).href;
    const text = fs.readFileSync(path.join(dir, 'hpet.vmsd'), 'utf8');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsd', version: 1, text } });
    const line = text.split('\n').findIndex((l) => /^\s+num_timers: u8/.test(l));
    const h = await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: { line, character: 6 } });
    assert.equal(h, null);
    const d = await client.connection.sendRequest('textDocument/definition', { textDocument: { uri }, position: { line, character: 6 } });
    assert.ok(d, 'the server still answers');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(client.logs().some((m) => /hover failed: Error: fault injected/.test(m)), client.logs().join('\n'));
    await client.close();
  });
});

describe('lsp: multi-root workspaces', function () {
  this.timeout(30_000);
  it('indexes every folder, and folders added later', async () => {
    const a = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-root-a-'));
    const b = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-root-b-'));
    const c = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-root-c-'));
    fs.writeFileSync(path.join(a, 'a.vmsd'), 'vmstate in_root_a {\n    x: u8\n}\n');
    fs.writeFileSync(path.join(b, 'b.vmsd'), 'vmstate in_root_b {\n    x: u8\n}\n');
    fs.writeFileSync(path.join(c, 'c.vmsd'), 'vmstate in_root_c {\n    x: u8\n}\n');
    const client = await startClient(null, { workspace: { workspaceFolders: true } });
    // startClient sent no folders; a client with several sends them in initialize, which
    // the server reads the same way as a later change notification.
    await client.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: { added: [{ uri: pathToFileURL(a).href, name: 'a' }, { uri: pathToFileURL(b).href, name: 'b' }], removed: [] },
    });
    const names = async () => ((await client.connection.sendRequest('workspace/symbol', { query: 'in_root' })) as Array<{ name: string }>).map((s) => s.name).sort();
    assert.deepEqual(await names(), ['in_root_a', 'in_root_b']);
    await client.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: { added: [{ uri: pathToFileURL(c).href, name: 'c' }], removed: [{ uri: pathToFileURL(a).href, name: 'a' }] },
    });
    assert.deepEqual(await names(), ['in_root_b', 'in_root_c']);
    await client.close();
  });
});
