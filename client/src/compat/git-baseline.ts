import { execFile } from 'node:child_process';

/**
 * The default baseline, as the language server picks it for an empty
 * `vmsd.compat.baseline` (server/src/host/baselines.ts, defaultGitBaseline): the merge-base
 * of HEAD with its upstream branch when there is one, else HEAD; undefined outside a git
 * repository or before the first commit. Asynchronous, so the extension host never waits
 * on git. No `vscode` here: tests import it.
 */
export async function defaultGitBaseline(cwd: string): Promise<string | undefined> {
  const upstream = await git(cwd, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']);
  if (upstream !== undefined) {
    const base = await git(cwd, ['merge-base', 'HEAD', '@{upstream}']);
    // Unrelated histories have no merge-base: fall back to HEAD.
    if (base) return `git:${base}`;
  }
  const head = await git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  return head ? `git:${head}` : undefined;
}

/** git's trimmed stdout, or undefined when it fails or is not installed. */
function git(cwd: string, args: string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', args, { cwd, timeout: 30_000, windowsHide: true }, (err, stdout) => resolve(err ? undefined : String(stdout).trim()));
  });
}
