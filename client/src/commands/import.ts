import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CliError, failureMessage } from '../cli';
import { CommandContext, pickWorkspaceFolder, runCliWithProgress } from './common';
import { firstImportedFile, importArgs, ImportKind, refusedExisting, suggestedOutput } from './import-model';

/**
 * "VMSD: Import QEMU vmstate dump" (`vmsd import qemu-dump DUMP -o DIR`) and "VMSD:
 * Import descriptions from a stream" (`vmsd import vmdesc STREAM -o DIR`): pick the input
 * and the output folder, run the CLI, report in the output and open the first file.
 */
const kinds: Record<ImportKind, { what: string; filters: Record<string, string[]> }> = {
  'qemu-dump': { what: 'QEMU -dump-vmstate file', filters: { 'QEMU -dump-vmstate JSON': ['json', 'gz'], 'All files': ['*'] } },
  vmdesc: { what: 'migration stream', filters: { 'Migration streams': ['mig', 'vmstate', 'bin', 'cbor'], 'All files': ['*'] } },
};

export async function importDescriptions(ctx: CommandContext, kind: ImportKind, given?: unknown): Promise<void> {
  const { what, filters } = kinds[kind];
  const folder = await pickWorkspaceFolder('Import into which folder?');
  if (!folder) return;
  // From the explorer's context menu the file comes as an argument.
  let input = given instanceof vscode.Uri && given.scheme === 'file' ? given : undefined;
  if (!input) {
    const picked = await vscode.window.showOpenDialog({ title: `VMSD: the ${what} to import`, defaultUri: folder.uri, canSelectFiles: true, canSelectMany: false, openLabel: 'Import', filters });
    input = picked?.[0];
  }
  if (!input) return;
  const output = await askOutput(folder, input.fsPath);
  if (!output) return;

  const cwd = folder.uri.fsPath;
  const title = `Importing ${path.basename(input.fsPath)}`;
  // What the folder held before: a failed run must not pass off an earlier import as its own.
  const stamp = (f: string) => fs.statSync(path.join(output, f)).mtimeMs;
  const before = new Map((fs.existsSync(output) ? fs.readdirSync(output) : []).map((f) => [f, stamp(f)] as const));
  let result = await runCliWithProgress(ctx, title, importArgs(kind, input.fsPath, output), cwd);
  if (!result) return;
  if (result.code === 2 && refusedExisting(result.stderr)) {
    const replace = await vscode.window.showWarningMessage(`VMSD: ${failureMessage(result)}`, { modal: true }, 'Replace');
    if (replace !== 'Replace') return;
    result = await runCliWithProgress(ctx, title, importArgs(kind, input.fsPath, output, true), cwd);
    if (!result) return;
  }
  // Exit 1: files were written, but the import could not prove them (the CLI says which).
  const written = (fs.existsSync(output) ? fs.readdirSync(output) : []).filter((f) => before.get(f) !== stamp(f));
  if (result.code !== 0 && !(result.code === 1 && written.length)) throw new CliError(failureMessage(result), result);
  const report = result.stdout.trim() || `imported into ${output}`;
  ctx.log.info(`vmsd: ${report}`);

  const first = firstImportedFile(written);
  if (first) await vscode.window.showTextDocument(vscode.Uri.file(path.join(output, first)), { preview: false });
  if (result.code === 0) void vscode.window.showInformationMessage(`VMSD: ${report}`);
  else {
    const a = await vscode.window.showWarningMessage(`VMSD: the files were written, but: ${failureMessage(result)}`, 'Show Output');
    if (a === 'Show Output') ctx.log.show(true);
  }
}

/** The output folder (absolute): a folder in the workspace (name typed, a default offered) or one picked. */
async function askOutput(folder: vscode.WorkspaceFolder, input: string): Promise<string | undefined> {
  const inWorkspace = { label: '$(new-folder) A folder in the workspace…', detail: `${folder.name}/${suggestedOutput(input).split(path.sep).join('/')}, or a name you type` };
  const browse = { label: '$(folder-opened) Choose a folder…' };
  const picked = await vscode.window.showQuickPick([inWorkspace, browse], { title: 'VMSD: where should the .vmsd files go?' });
  if (!picked) return undefined;
  if (picked === browse) {
    const uris = await vscode.window.showOpenDialog({ title: 'VMSD: the folder for the .vmsd files', defaultUri: folder.uri, canSelectFolders: true, canSelectFiles: false, openLabel: 'Import here' });
    return uris?.[0]?.fsPath;
  }
  const rel = await vscode.window.showInputBox({
    title: 'VMSD: the folder for the .vmsd files',
    prompt: `Relative to ${folder.uri.fsPath} (created if missing)`,
    value: suggestedOutput(input).split(path.sep).join('/'),
    validateInput: (v) => {
      if (!v.trim()) return 'Type a folder name';
      // "A folder in the workspace": `..` or an absolute path would write elsewhere unasked.
      const rel = path.relative(folder.uri.fsPath, path.resolve(folder.uri.fsPath, v.trim()));
      return rel.startsWith('..') || path.isAbsolute(rel) ? 'A folder inside the workspace folder (or choose "Choose a folder…")' : undefined;
    },
  });
  return rel === undefined ? undefined : path.resolve(folder.uri.fsPath, rel.trim());
}
