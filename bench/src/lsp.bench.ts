import * as cp from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  InitializeRequest,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { PUBLISH_DELAY_MS } from '../../server/src/lsp/server';
import { generateWorkspace, lineCount } from './generate';

/**
 * The language server over stdio on a large workspace (npm run bench:lsp): the bundled
 * examples plus generated descriptions, over 20,000 lines. Prints a table. Targets on a
 * 2-core machine: cold start < 400 ms, completion and hover p95 < 15 ms, edit →
 * diagnostics p95 < 60 ms (the debounce not counted), RSS < 200 MB.
 */
const root = path.resolve(__dirname, '..', '..', '..');

function pct(xs: number[], p: number): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-bench-lsp-'));
  for (const f of fs.readdirSync(path.join(root, 'examples'))) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(root, 'examples', f), path.join(dir, f));
  const generated = generateWorkspace(20_000, 4);
  for (const f of generated) fs.writeFileSync(path.join(dir, f.uri.slice('file:///bench/'.length)), f.text);
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.vmsd'));
  const lines = files.reduce((n, f) => n + fs.readFileSync(path.join(dir, f), 'utf8').split('\n').length, 0);
  const descriptions = files.reduce((n, f) => n + (fs.readFileSync(path.join(dir, f), 'utf8').match(/^vmstate /gm) ?? []).length, 0);

  const t0 = performance.now();
  const child = cp.spawn(process.execPath, [...(process.env.SERVER_FLAGS ? process.env.SERVER_FLAGS.split(' ') : []), path.join(root, 'bin', 'vmsd-language-server'), '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const conn = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiting: Array<{ uri: string; version: number; resolve: (p: PublishDiagnosticsParams) => void }> = [];
  conn.onNotification(PublishDiagnosticsNotification.type, (p) => {
    for (let i = waiting.length - 1; i >= 0; i--) {
      if (waiting[i].uri === p.uri && (p.version ?? 0) >= waiting[i].version) {
        waiting[i].resolve(p);
        waiting.splice(i, 1);
      }
    }
  });
  conn.listen();
  const diagnostics = (uri: string, version: number) => new Promise<PublishDiagnosticsParams>((resolve) => waiting.push({ uri, version, resolve }));
  await conn.sendRequest(InitializeRequest.type, { processId: process.pid, rootUri: pathToFileURL(dir).href, workspaceFolders: [{ uri: pathToFileURL(dir).href, name: 'bench' }], capabilities: {} });
  await conn.sendNotification('initialized', {});
  const big = files.map((f) => ({ f, n: fs.statSync(path.join(dir, f)).size })).sort((a, b) => b.n - a.n)[0].f;
  const bigUri = pathToFileURL(path.join(dir, big)).href;
  const e1000 = pathToFileURL(path.join(dir, 'e1000.vmsd')).href;
  const e1000Text = fs.readFileSync(path.join(dir, 'e1000.vmsd'), 'utf8');
  const first = diagnostics(e1000, 1);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: e1000, languageId: 'vmsd', version: 1, text: e1000Text } });
  await first;
  const cold = performance.now() - t0 - PUBLISH_DELAY_MS;

  const lineList = e1000Text.split('\n');
  const fieldLines = lineList.map((l, i) => [l, i] as const).filter(([l]) => /^\s+[a-z_"][^:]*: /.test(l));
  const time = async (n: number, fn: (i: number) => Promise<unknown>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const s = performance.now();
      await fn(i);
      out.push(performance.now() - s);
    }
    return out;
  };
  const at = (i: number) => {
    const [l, line] = fieldLines[i % fieldLines.length];
    return { line, character: l.indexOf(':') + 3 };
  };
  const hover = await time(300, (i) => conn.sendRequest('textDocument/hover', { textDocument: { uri: e1000 }, position: { line: at(i).line, character: at(i).character - 4 } }));
  const completion = await time(300, (i) => conn.sendRequest('textDocument/completion', { textDocument: { uri: e1000 }, position: at(i) }));
  const definition = await time(300, (i) => conn.sendRequest('textDocument/definition', { textDocument: { uri: e1000 }, position: at(i) }));
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: bigUri, languageId: 'vmsd', version: 1, text: fs.readFileSync(path.join(dir, big), 'utf8') } });
  const tokens = await time(30, () => conn.sendRequest('textDocument/semanticTokens/full', { textDocument: { uri: bigUri } }));

  // Edits: a comment line typed and removed in turn; each waits for its diagnostics.
  const versions = new Map<string, number>();
  const edit = async (uri = e1000) => {
    const version = (versions.get(uri) ?? 1) + 1;
    versions.set(uri, version);
    const insert = version % 2 === 0;
    const change = insert
      ? { range: { start: { line: 3, character: 0 }, end: { line: 3, character: 0 } }, text: '// edit\n' }
      : { range: { start: { line: 3, character: 0 }, end: { line: 4, character: 0 } }, text: '' };
    const done = diagnostics(uri, version);
    await conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
    await done;
  };
  const edits = (await time(100, () => edit())).map((t) => t - PUBLISH_DELAY_MS);
  // The same in a file of the generated 20,000-line component (all of it is re-analysed).
  const gen = pathToFileURL(path.join(dir, 'gen1.vmsd')).href;
  const genOpened = diagnostics(gen, 1);
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri: gen, languageId: 'vmsd', version: 1, text: fs.readFileSync(path.join(dir, 'gen1.vmsd'), 'utf8') } });
  await genOpened;
  const bigEdits = (await time(100, () => edit(gen))).map((t) => t - PUBLISH_DELAY_MS);
  for (let i = 0; i < 800; i++) await edit();
  const status = fs.readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;

  const rows: string[][] = [
    ['measure', 'p50 ms', 'p95 ms', 'target'],
    ['cold start → first diagnostics', cold.toFixed(0), '', '< 400 ms'],
    ['hover', pct(hover, 50).toFixed(2), pct(hover, 95).toFixed(2), 'p95 < 15 ms'],
    ['completion', pct(completion, 50).toFixed(2), pct(completion, 95).toFixed(2), 'p95 < 15 ms'],
    ['definition', pct(definition, 50).toFixed(2), pct(definition, 95).toFixed(2), ''],
    [`edit → diagnostics, e1000.vmsd (debounce ${PUBLISH_DELAY_MS} ms not counted)`, pct(edits, 50).toFixed(1), pct(edits, 95).toFixed(1), 'p95 < 60 ms'],
    [`edit → diagnostics, gen1.vmsd (its component: ${lineCount(generated)} lines)`, pct(bigEdits, 50).toFixed(1), pct(bigEdits, 95).toFixed(1), 'p95 < 60 ms'],
    [`semantic tokens, ${big}`, pct(tokens, 50).toFixed(1), pct(tokens, 95).toFixed(1), ''],
    ['RSS after 1,000 edits (MB)', rss.toFixed(0), '', '< 200 MB'],
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log(`Language server over stdio: ${files.length} files, ${lines} lines, ${descriptions} descriptions (Node ${process.version})`);
  for (const [i, r] of rows.entries()) {
    console.log('| ' + r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ') + ' |');
    if (i === 0) console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  }
  await conn.sendRequest('shutdown');
  await conn.sendNotification('exit');
  conn.dispose();
  child.kill();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
