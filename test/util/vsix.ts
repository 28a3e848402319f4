import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './paths';

/**
 * The extension packaged exactly as a user builds it, `npm run package` (tsc -b, the esbuild
 * bundles, vsce with the whitelist .vscodeignore), written to a temporary folder rather
 * than the checkout. Built once per test run and shared by the tests that need it.
 */
let built: string | undefined;

export function packageVsix(): string {
  if (built && fs.existsSync(built)) return built;
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vmsd-vsix-')), 'vmsd.vsix');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', 'package', '--', '--out', out], { cwd: repoRoot, encoding: 'utf8', timeout: 300_000, env: { ...process.env, npm_config_update_notifier: 'false' } });
  if (r.status !== 0 || !fs.existsSync(out)) {
    throw new Error(`npm run package failed (exit ${r.status ?? r.signal}):\n${(r.stdout ?? '').slice(-4000)}\n${(r.stderr ?? '').slice(-4000)}`);
  }
  built = out;
  return out;
}
