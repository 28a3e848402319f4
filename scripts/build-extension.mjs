// Bundles the VS Code extension with esbuild (run by `npm run build` after `tsc -b`, which
// type-checks everything): the client (vscode is provided by the editor), the language
// server it starts, the `vmsd` command line its commands run, and one browser script per
// webview. Outputs go to dist/, which is all of the code the .vsix carries.
//
// Webviews are built only when their entry point exists, so the extension builds while a
// panel is still being written; the list of what was built is printed.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

const common = { bundle: true, sourcemap: true, logLevel: 'warning', legalComments: 'none', metafile: true };
const node = { ...common, platform: 'node', target: 'node20', format: 'cjs' };

/**
 * The CLI reads its version from the repository's package.json (`../../../../package.json`
 * from out/server/src/cli/). Bundled into dist/cli.js it is the extension's own
 * package.json, one folder up: kept external, not copied into the bundle.
 */
const packageJsonBesideDist = {
  name: 'package-json-beside-dist',
  setup(build) {
    build.onResolve({ filter: /(^|\/)package\.json$/ }, () => ({ path: '../package.json', external: true }));
  },
};

const webviews = Object.fromEntries(
  ['preview', 'stream', 'matrix'].map((name) => [name, `client/webview/${name}/main.ts`]).filter(([, entry]) => fs.existsSync(entry)),
);

const results = await Promise.all([
  esbuild.build({ ...node, entryPoints: ['client/src/extension.ts'], outfile: 'dist/extension.js', external: ['vscode'] }),
  esbuild.build({ ...node, entryPoints: ['server/src/node.ts'], outfile: 'dist/server.js' }),
  esbuild.build({ ...node, entryPoints: ['server/src/cli/main.ts'], outfile: 'dist/cli.js', plugins: [packageJsonBesideDist] }),
  Object.keys(webviews).length
    ? esbuild.build({ ...common, platform: 'browser', target: 'es2022', format: 'iife', entryPoints: webviews, outdir: 'dist/webview' })
    : undefined,
]);

// What an earlier build left and this one did not write (a webview since renamed) goes.
const written = new Set(results.flatMap((r) => (r ? Object.keys(r.metafile.outputs) : [])).map((f) => path.normalize(f)));
for (const f of fs.readdirSync('dist', { recursive: true })) {
  const file = path.join('dist', f);
  if (fs.statSync(file).isFile() && !written.has(file)) fs.rmSync(file);
}
console.log(`build-extension: ${[...written].filter((f) => f.endsWith('.js')).sort().join(', ')}`);
