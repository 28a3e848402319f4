import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as fc from 'fast-check';
import { Workspace } from '../../server/src/semantic/workspace';
import { LineIndex } from '../../server/src/util/lines';
import { examplesDir } from '../util/paths';
import { startClient } from './client';

/**
 * 20,000 random edits (inserts and deletes anywhere, inside tokens too) sent as
 * incremental changes to the real server, with requests in between: the server never
 * dies, its memory stays bounded, and its final diagnostics equal a fresh analysis.
 */
describe('lsp: a session of 20,000 random edits', function () {
  this.timeout(180_000);

  it('survives, stays bounded and ends consistent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-edits-'));
    for (const f of fs.readdirSync(examplesDir)) if (f.endsWith('.vmsd')) fs.copyFileSync(path.join(examplesDir, f), path.join(dir, f));
    const client = await startClient(pathToFileURL(dir).href);
    const uri = pathToFileURL(path.join(dir, 'hpet.vmsd')).href;
    let text = fs.readFileSync(path.join(dir, 'hpet.vmsd'), 'utf8');
    await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsd', version: 1, text } });

    const pieces = ['vmstate', 'subsection', ' ', '\n', '{', '}', '(', ')', '[', ']', ':', 'u8', 'x', '"', '/*', '*/', '//', '@', 'since 2', 'if (', 'property(', '0x', '€', '\u0000'];
    const edit = fc.record({ pos: fc.nat(), del: fc.nat({ max: 6 }), ins: fc.oneof(fc.constantFrom(...pieces), fc.string({ maxLength: 3 })) });
    const edits = fc.sample(edit, { numRuns: 20_000, seed: 4242 });
    const rss = () => {
      const status = fs.readFileSync(`/proc/${client.child.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) / 1024;
    };

    let version = 1;
    let rssAt5k = 0;
    for (let i = 0; i < edits.length; i++) {
      const e = edits[i];
      const start = e.pos % (text.length + 1);
      const end = Math.min(text.length, start + e.del);
      const li = new LineIndex(text);
      const range = { start: li.position(start), end: li.position(end) };
      text = text.slice(0, start) + e.ins + text.slice(end);
      // Keep the document from growing without end: big inserts are balanced by deletes.
      version++;
      void client.connection.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [{ range, text: e.ins }] });
      if (i % 250 === 0) {
        const pos = new LineIndex(text).position(start);
        await client.connection.sendRequest('textDocument/hover', { textDocument: { uri }, position: pos });
        await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: pos });
      }
      if (i === 5_000) rssAt5k = rss();
    }
    const final = await client.diagnostics(uri, (p) => p.version === version, 60_000);
    const rssEnd = rss();

    // A fresh analysis of the final text, with the same workspace files.
    const ws = new Workspace();
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.vmsd')) ws.set(pathToFileURL(path.join(dir, f)).href, fs.readFileSync(path.join(dir, f), 'utf8'));
    ws.set(uri, text);
    const li = new LineIndex(text);
    const fresh = ws.diagnostics(uri).map((d) => `${d.code} ${JSON.stringify(li.position(d.start))} ${d.message}`);
    const got = final.diagnostics.map((d) => `${d.code} ${JSON.stringify(d.range.start)} ${d.message}`);
    assert.deepEqual(got.sort(), fresh.sort());
    assert.doesNotMatch(client.stderr(), /uncaught/i);
    assert.ok(rssEnd < 400, `server RSS ${rssEnd.toFixed(0)} MB`);
    assert.ok(rssEnd < rssAt5k * 1.5 + 50, `RSS grew from ${rssAt5k.toFixed(0)} MB (5,000 edits) to ${rssEnd.toFixed(0)} MB (20,000)`);
    await client.close();
  });
});
