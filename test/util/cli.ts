import { main } from '../../server/src/cli/main';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** `vmsd ARGS` in-process, its stdout and stderr captured; in `cwd` when given. */
export async function runCli(args: string[], cwd?: string): Promise<CliRun> {
  let out = '';
  let err = '';
  const old = process.cwd();
  if (cwd) process.chdir(cwd);
  try {
    const code = await main(args, { out: (s) => (out += s), err: (s) => (err += s) });
    return { code, out, err };
  } finally {
    process.chdir(old);
  }
}
