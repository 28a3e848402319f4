import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../util/paths';

/**
 * The webviews follow VS Code's conventions (issue 6, part 7), checked on their sources:
 * colours only from the theme (`var(--vscode-…)`, so light, dark and high contrast all
 * work), no network from the browser side, HTML only from the CSP shell with a nonce, and
 * no markup assembled from strings (which data such as field names could break out of).
 */
const media = path.join(repoRoot, 'media');
const webview = path.join(repoRoot, 'client', 'webview');

function* files(dir: string, ext: string): Generator<string> {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* files(p, ext);
    else if (p.endsWith(ext)) yield p;
  }
}

describe('webviews: VS Code conventions', () => {
  const css = [...files(media, '.css')];
  const scripts = [...files(webview, '.ts')];

  it('every panel has its stylesheet and its script', () => {
    assert.deepEqual(css.map((f) => path.basename(f)).sort(), ['matrix.css', 'preview.css', 'stream.css']);
    for (const name of ['matrix', 'preview', 'stream']) assert.ok(fs.existsSync(path.join(webview, name, 'main.ts')), name);
  });

  for (const file of css) {
    it(`${path.basename(file)}: colours come from the theme only`, () => {
      const text = fs.readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
      // Theme variables may be named after colours (--vscode-charts-green): look past them.
      const values = text.replace(/var\([^()]*(?:\([^()]*\)[^()]*)*\)/g, 'var()');
      const literal = values.match(/#[0-9a-fA-F]{3,8}\b|\b(?:rgb|rgba|hsl|hsla)\(|(?:color|background|border|outline|fill|stroke|shadow)[\w-]*\s*:[^;}]*\b(?:white|black|red|green|blue|yellow|gray|grey|orange|purple)\b/g);
      assert.equal(literal, null, `literal colours: ${literal?.join(', ')}`);
      assert.match(text, /var\(--vscode-/);
    });
  }

  for (const file of scripts) {
    it(`${path.relative(webview, file)}: no network, no markup from strings`, () => {
      const text = fs.readFileSync(file, 'utf8');
      assert.doesNotMatch(text, /\bfetch\(|XMLHttpRequest|WebSocket|EventSource|importScripts|navigator\.sendBeacon/);
      // Clearing is fine; anything else goes through createElement/textContent.
      for (const m of text.matchAll(/\.(innerHTML|outerHTML)\s*=\s*([^;]+);/g)) assert.equal(m[2].trim(), "''", `${m[1]} = ${m[2]}`);
      assert.doesNotMatch(text, /insertAdjacentHTML|document\.write\(/);
    });
  }

  it('the HTML shell allows only the nonce script, the extension\'s styles and no network', () => {
    const shell = fs.readFileSync(path.join(repoRoot, 'client', 'src', 'webview', 'html.ts'), 'utf8');
    assert.match(shell, /default-src 'none'/);
    assert.match(shell, /script-src 'nonce-\$\{nonce\}'/);
    assert.doesNotMatch(shell, /connect-src|unsafe-inline|unsafe-eval|https?:/);
  });
});
