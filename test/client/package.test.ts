import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { builtinModules } from 'node:module';
import * as path from 'node:path';
import { repoRoot } from '../util/paths';
import { packageVsix } from '../util/vsix';
import { listZip, readZipEntry } from '../util/zip';

/**
 * `npm run package` gives a .vsix that holds exactly the whitelist of .vscodeignore (the
 * bundles, the manifest and what it points at; no node_modules, out/, tests or source
 * maps), whose bundles need nothing but VS Code and Node's own modules, and whose manifest
 * asks for VS Code ^1.91.0.
 */
const WHITELIST: RegExp[] = [
  /^package\.json$/,
  /^readme\.md$/,
  /^LICENSE\.txt$/,
  /^language-configuration\.json$/,
  /^syntaxes\/[^/]+\.json$/,
  /^snippets\/[^/]+\.json$/,
  /^media\/[^/]+\.(png|css)$/,
  /^dist\/[^/]+\.js$/,
  /^dist\/webview\/[^/]+\.js$/,
];

interface Manifest {
  name: string;
  publisher: string;
  version: string;
  main: string;
  icon: string;
  license: string;
  repository?: { url?: string };
  engines: { vscode: string };
  devDependencies: Record<string, string>;
  contributes: {
    languages: Array<{ configuration?: string }>;
    grammars: Array<{ path: string }>;
    snippets?: Array<{ path: string }>;
  };
}

describe('packaging: npm run package', function () {
  this.timeout(300_000);
  let vsix: string;
  let files: string[];

  before(() => {
    vsix = packageVsix();
    files = listZip(vsix).map((e) => e.name);
  });

  it('holds the whitelist and nothing else', () => {
    const outside = files.filter((f) => !f.startsWith('extension/') && f !== '[Content_Types].xml' && f !== 'extension.vsixmanifest');
    assert.deepEqual(outside, []);
    const inside = files.filter((f) => f.startsWith('extension/')).map((f) => f.slice('extension/'.length));
    const stray = inside.filter((f) => !WHITELIST.some((re) => re.test(f)));
    assert.deepEqual(stray, [], 'files outside the whitelist');
    for (const f of ['package.json', 'readme.md', 'LICENSE.txt', 'dist/extension.js', 'dist/server.js', 'dist/cli.js', 'media/icon.png', 'language-configuration.json']) {
      assert.ok(inside.includes(f), `${f} is packaged (${inside.join(', ')})`);
    }
    // Every webview bundle the build made is there, with its stylesheet.
    const webviews = fs.readdirSync(path.join(repoRoot, 'dist', 'webview')).filter((f) => f.endsWith('.js'));
    for (const w of webviews) {
      assert.ok(inside.includes(`dist/webview/${w}`), `dist/webview/${w}`);
      assert.ok(inside.includes(`media/${w.replace(/\.js$/, '.css')}`), `media/${w.replace(/\.js$/, '.css')} for dist/webview/${w}`);
    }
  });

  it('has a manifest for VS Code ^1.91.0 whose files are all packaged', () => {
    const m = JSON.parse(readZipEntry(vsix, 'extension/package.json').toString('utf8')) as Manifest;
    assert.equal(m.engines.vscode, '^1.91.0');
    assert.equal(m.devDependencies['@types/vscode'], '1.91.0', '@types/vscode must not be newer than engines.vscode');
    assert.equal(m.main, './dist/extension.js');
    assert.equal(m.license, 'MIT');
    assert.ok(m.repository?.url, 'repository');
    const inside = new Set(files.map((f) => f.slice('extension/'.length)));
    const named = [m.main, m.icon, ...m.contributes.grammars.map((g) => g.path), ...m.contributes.languages.flatMap((l) => (l.configuration ? [l.configuration] : [])), ...(m.contributes.snippets ?? []).map((s) => s.path)];
    for (const p of named) assert.ok(inside.has(path.posix.normalize(p)), `the manifest names ${p}, which is not packaged`);
    const vsixManifest = readZipEntry(vsix, 'extension.vsixmanifest').toString('utf8');
    assert.match(vsixManifest, new RegExp(`Id="${m.name}"[^>]*Version="${m.version.replace(/\./g, '\\.')}"[^>]*Publisher="${m.publisher}"`));
    assert.match(vsixManifest, /Microsoft\.VisualStudio\.Code\.Engine" Value="\^1\.91\.0"/);
  });

  it('ships bundles that need only vscode, Node’s modules and the manifest', () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((b) => `node:${b}`)]);
    for (const f of files.filter((x) => /^extension\/dist\/[^/]+\.js$/.test(x))) {
      const text = readZipEntry(vsix, f).toString('utf8');
      const required = [...text.matchAll(/\brequire\("([^"]+)"\)/g)].map((x) => x[1]);
      const foreign = [...new Set(required.filter((r) => !builtins.has(r) && r !== 'vscode' && r !== '../package.json'))];
      assert.deepEqual(foreign, [], `${f} requires modules the .vsix does not carry`);
      if (!f.endsWith('/extension.js')) assert.ok(!required.includes('vscode'), `${f} runs outside VS Code`);
    }
  });

  it('is small: bundles, not node_modules', () => {
    const size = fs.statSync(vsix).size;
    assert.ok(size < 3 * 1024 * 1024, `${size} bytes`);
  });
});
