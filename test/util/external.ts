import { spawnSync } from 'node:child_process';

/**
 * Tests that need an external program (nvim, chromium, qemu): skipped loudly when it is
 * missing, except in CI (CI=true), where missing is a failure — .ci/run installs them.
 */
export function hasProgram(cmd: string, args = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
  return r.status === 0;
}

export function requireProgram(ctx: Mocha.Context, cmd: string, install: string): void {
  if (hasProgram(cmd)) return;
  const msg = `${cmd} is not installed (${install}); run scripts/install-test-deps.sh`;
  if (process.env.CI === 'true') throw new Error(msg);
  console.warn(`\n  !!! SKIPPED: ${msg}\n`);
  ctx.skip();
}
