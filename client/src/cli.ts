import { spawn } from 'node:child_process';

/**
 * Runs the bundled `vmsd` command line (dist/cli.js) the way VS Code runs extension
 * processes: with the editor's own executable in Node mode (ELECTRON_RUN_AS_NODE=1), so
 * no Node.js installation is needed. No `vscode` here: tests import it.
 */
export interface CliOptions {
  /** The JavaScript runtime: `process.execPath` in the extension host. */
  node: string;
  /** dist/cli.js of the extension. */
  cli: string;
  args: string[];
  cwd: string;
  /** Aborting kills the process; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
}

export interface CliResult {
  /** The exit code: 0 ok, 1 findings, 2 usage or I/O error (the CLI's contract). */
  code: number;
  stdout: string;
  stderr: string;
  /** The command line, for logs. */
  commandLine: string;
}

export class CliError extends Error {
  constructor(
    message: string,
    readonly result?: CliResult,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function quoteArg(a: string): string {
  return /^[\w@%+=:,./~-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/** Resolves with the exit code and output whatever the code; rejects when the process cannot run or dies of a signal. */
export function runCli(opts: CliOptions): Promise<CliResult> {
  const commandLine = ['vmsd', ...opts.args].map(quoteArg).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(opts.node, [opts.cli, ...opts.args], {
      cwd: opts.cwd,
      env: { ...(opts.env ?? process.env), ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
      signal: opts.signal,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(e.name === 'AbortError' ? e : new CliError(`could not run ${commandLine}: ${e.message}`)));
    child.on('close', (code, signal) => {
      const result: CliResult = { code: code ?? -1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), commandLine };
      if (opts.signal?.aborted) return; // 'error' rejected with the AbortError
      if (code === null) reject(new CliError(`${commandLine} was killed (${signal ?? 'no exit code'})`, result));
      else resolve(result);
    });
  });
}

/**
 * What went wrong, from a run that failed: the CLI's own message lines (`vmsd: …`),
 * without the prefix; else the last lines of stderr; else the exit code.
 */
export function failureMessage(r: CliResult): string {
  const lines = r.stderr.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim());
  const own = lines.filter((l) => l.startsWith('vmsd: ') && !l.startsWith('vmsd: note: ')).map((l) => l.slice('vmsd: '.length));
  const shown = own.length ? own : lines.slice(-3);
  const text = shown.slice(0, 5).join('; ');
  return text || `${r.commandLine} exited with code ${r.code}`;
}
