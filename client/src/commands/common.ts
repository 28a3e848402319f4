import * as vscode from 'vscode';
import { CliError, CliResult, runCli } from '../cli';
import type { VmsdLogChannel } from '../log-channel';

/** What the commands share: the extension (for dist/cli.js) and the VMSD output channel. */
export interface CommandContext {
  extension: vscode.ExtensionContext;
  log: VmsdLogChannel;
}

/**
 * Registers a command whose failures are shown (with their message, and a button to the
 * output) and logged, never swallowed.
 */
export function registerGuarded(ctx: CommandContext, id: string, run: (...args: unknown[]) => Promise<void>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: unknown[]) => {
    try {
      await run(...args);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      ctx.log.error(`vmsd: ${id}: ${message}`);
      if (e instanceof CliError && e.result) logRun(ctx, e.result);
      const action = await vscode.window.showErrorMessage(`VMSD: ${message}`, 'Show Output');
      if (action === 'Show Output') ctx.log.show(true);
    }
  });
}

/** The folder of the active editor, the only one, or the one the user picks (undefined: none or backed out). */
export async function pickWorkspaceFolder(placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) throw new Error('open a folder first: the command works on a workspace folder');
  const active = vscode.window.activeTextEditor?.document.uri;
  const ofActive = active ? vscode.workspace.getWorkspaceFolder(active) : undefined;
  if (ofActive) return ofActive;
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder });
}

/**
 * Runs the bundled CLI under a cancellable progress notification, logging the command
 * line and what it wrote to stderr. Undefined when cancelled.
 */
export async function runCliWithProgress(ctx: CommandContext, title: string, args: string[], cwd: string): Promise<CliResult | undefined> {
  const abort = new AbortController();
  const cli = ctx.extension.asAbsolutePath('dist/cli.js');
  ctx.log.info(`vmsd: running ${['vmsd', ...args].join(' ')} (in ${cwd})`);
  const started = Date.now();
  try {
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `VMSD: ${title}…`, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => abort.abort());
      return runCli({ node: process.execPath, cli, args, cwd, signal: abort.signal });
    });
    ctx.log.info(`vmsd: exit ${result.code} after ${Date.now() - started} ms`);
    if (result.stderr.trim()) ctx.log.info(result.stderr.trimEnd());
    return result;
  } catch (e) {
    if (abort.signal.aborted) {
      ctx.log.info('vmsd: cancelled');
      return undefined;
    }
    throw e;
  }
}

function logRun(ctx: CommandContext, r: CliResult): void {
  if (r.stdout.trim() && r.stdout.length < 20_000) ctx.log.info(r.stdout.trimEnd());
}
