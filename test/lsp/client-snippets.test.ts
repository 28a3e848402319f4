import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startClient } from './client';

/**
 * A client that contributes the declaration snippets itself (our VS Code extension,
 * snippets/vmsd.json) says so in initializationOptions; the server then leaves its own
 * out, so that the list does not show `vmstate` twice.
 */
describe('lsp: initializationOptions.clientSnippets', function () {
  this.timeout(30_000);

  for (const clientSnippets of [false, true]) {
    it(`top-level completion ${clientSnippets ? 'without' : 'with'} the server's snippets`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-snippets-'));
      const uri = pathToFileURL(path.join(dir, 'a.vmsd')).href;
      const client = await startClient(pathToFileURL(dir).href, {}, {}, { clientSnippets });
      try {
        await client.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'vmsd', version: 1, text: '\n' } });
        const { items } = (await client.connection.sendRequest('textDocument/completion', { textDocument: { uri }, position: { line: 0, character: 0 } })) as { items: Array<{ label: string; kind: number }> };
        const snippets = items.filter((i) => i.kind === 15).map((i) => i.label);
        if (clientSnippets) assert.deepEqual(snippets, []);
        else assert.ok(snippets.includes('vmstate') && snippets.includes('machine'), snippets.join(', '));
        assert.ok(items.some((i) => i.label === 'vmstate'), 'the keyword itself is still offered');
      } finally {
        await client.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
