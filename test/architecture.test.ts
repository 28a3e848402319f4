import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './util/paths';

/**
 * Layering (architecture.md): syntax < semantic < format < cli; the core (everything
 * but cli/, host/, lsp/, node.ts) imports no Node module and nothing of the protocol.
 */
const src = path.join(repoRoot, 'server', 'src');
const layers = ['util', 'diagnostics', 'syntax', 'semantic', 'format', 'checks', 'codec', 'interop', 'compat', 'ide', 'host', 'lsp', 'cli'];
const core = new Set(['util', 'diagnostics', 'syntax', 'semantic', 'format', 'checks', 'codec', 'interop', 'compat', 'ide']);
/** Packages the core may use: pure, and built for browsers as well as Node. */
const corePackages = new Set(['cbor-x']);

function* files(dir: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

describe('architecture', () => {
  it('only lsp/ imports vscode-languageserver', () => {
    for (const file of files(src)) {
      const rel = path.relative(src, file);
      if (rel.startsWith('lsp' + path.sep)) continue;
      assert.doesNotMatch(fs.readFileSync(file, 'utf8'), /from ['"]vscode-languageserver/, rel);
    }
  });

  for (const file of files(src)) {
    const rel = path.relative(src, file);
    const layer = rel.split(path.sep)[0];
    if (!layers.includes(layer)) continue;
    it(`${rel} imports only inward`, () => {
      const text = fs.readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]|require\(['"]([^'"]+)['"]\)/g)) {
        const spec = m[1] ?? m[2];
        if (spec.startsWith('.')) {
          const target = path.relative(src, path.resolve(path.dirname(file), spec)).split(path.sep)[0];
          if (!layers.includes(target)) continue;
          assert.ok(layers.indexOf(target) <= layers.indexOf(layer) || target === layer, `${rel} imports ${spec} (${target} is an outer layer)`);
        } else if (core.has(layer) && !corePackages.has(spec)) {
          assert.fail(`${rel} is core but imports the package ${spec}`);
        }
      }
    });
  }
});
