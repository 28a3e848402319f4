import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { CliError, failureMessage } from '../cli';
import { CommandContext, pickWorkspaceFolder, runCliWithProgress } from '../commands/common';
import { baselineChoices, BaselineChoiceKind, specFromPath, specFromRevision, specFromSetting, validateRevision } from './baseline-choice';
import { parseCheckOutput } from './check-output';
import { fileUri } from './baseline-documents';
import { compatDiagnostics, countFindings, PlainDiagnostic, PlainRange } from './findings-to-diagnostics';
import { defaultGitBaseline } from './git-baseline';
import { MatrixPanel } from './matrix-panel';
import { matrixView } from './matrix-model';

/**
 * "VMSD: Check Compatibility Against Baseline": asks what to compare with, runs
 * `vmsd check . --baseline REF --format json` in the workspace folder, puts the findings
 * into Problems (collection `vmsd-compat`, replaced by each run) and shows the verdict
 * matrix.
 */
export async function checkCompatibility(ctx: CommandContext, collection: vscode.DiagnosticCollection): Promise<void> {
  const folder = await pickWorkspaceFolder('Check the compatibility of which folder?');
  if (!folder) return;
  const asked = await askBaseline(folder);
  if (!asked) return;
  const { spec } = asked;
  const cwd = folder.uri.fsPath;

  const result = await runCliWithProgress(ctx, `Checking compatibility against ${spec}`, ['check', '.', '--baseline', spec, '--format', 'json'], cwd);
  if (!result) return; // cancelled
  if (result.code !== 0 && result.code !== 1) throw new CliError(failureMessage(result), result);
  const out = parseCheckOutput(result.stdout);
  const run = out.compatibility?.[0];
  if (!run) throw new Error(`vmsd check printed no compatibility result for ${spec}`);

  collection.clear();
  for (const group of compatDiagnostics(out, cwd, run.baseline)) collection.set(fileUri(group.file), group.diagnostics.map(toDiagnostic));
  MatrixPanel.show(ctx.extension.extensionUri, matrixView(run, out, cwd));

  const c = countFindings(out);
  const summary = `VMSD: against ${run.baseline}: ${c.errors} error${c.errors === 1 ? '' : 's'}, ${c.warnings} warning${c.warnings === 1 ? '' : 's'}` + (out.summary.suppressed ? `, ${out.summary.suppressed} suppressed` : '');
  ctx.log.info(summary.replace(/^VMSD: /, 'vmsd: compatibility '));
  const setting = vscode.workspace.getConfiguration('vmsd', folder.uri).get<string>('compat.baseline', '');
  const actions = ['Show Problems', ...(setting.trim() === asked.setting ? [] : ['Use for live diagnostics'])];
  const show = c.errors ? vscode.window.showErrorMessage : c.warnings ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  // Not awaited: the command is done; the buttons act later, their errors shown too.
  void show(summary, ...actions)
    .then(async (a) => {
      if (a === 'Show Problems') await vscode.commands.executeCommand('workbench.actions.view.problems');
      else if (a === 'Use for live diagnostics') await vscode.workspace.getConfiguration('vmsd', folder.uri).update('compat.baseline', asked.setting, vscode.ConfigurationTarget.WorkspaceFolder);
    })
    .then(undefined, (e: unknown) => vscode.window.showErrorMessage(`VMSD: ${e instanceof Error ? e.message : String(e)}`));
}

/**
 * The `--baseline` argument and the value of `vmsd.compat.baseline` that means the same
 * (empty for the default), or undefined when the user backs out.
 */
async function askBaseline(folder: vscode.WorkspaceFolder): Promise<{ spec: string; setting: string } | undefined> {
  const cwd = folder.uri.fsPath;
  const setting = vscode.workspace.getConfiguration('vmsd', folder.uri).get<string>('compat.baseline', '');
  type Item = vscode.QuickPickItem & { choice: BaselineChoiceKind };
  const items: Item[] = baselineChoices(setting).map((c) => ({ label: c.label, description: c.description, detail: c.detail, choice: c.kind }));
  const picked = await vscode.window.showQuickPick(items, { title: 'VMSD: Check Compatibility Against Baseline', placeHolder: 'Compare the workspace with…', matchOnDetail: true });
  if (!picked) return undefined;
  switch (picked.choice) {
    case 'setting': {
      const spec = specFromSetting(setting, { folder: cwd, exists: (p) => fs.existsSync(p) });
      return { spec: spec ?? (await gitDefault(cwd)), setting: setting.trim() };
    }
    case 'default':
      return { spec: await gitDefault(cwd), setting: '' };
    case 'revision': {
      const rev = await vscode.window.showInputBox({
        title: 'VMSD: compare with a git revision',
        prompt: 'A tag, branch or commit of the repository of the workspace folder',
        placeHolder: 'v7.2.0, origin/master, HEAD~3',
        validateInput: validateRevision,
      });
      if (rev === undefined) return undefined;
      const spec = specFromRevision(rev);
      return { spec, setting: spec };
    }
    case 'folder':
    case 'file': {
      const folderPick = picked.choice === 'folder';
      const uris = await vscode.window.showOpenDialog({
        title: folderPick ? 'VMSD: the baseline folder of .vmsd files' : 'VMSD: the baseline .vmsd file or -dump-vmstate JSON',
        defaultUri: folder.uri,
        canSelectFiles: !folderPick,
        canSelectFolders: folderPick,
        canSelectMany: false,
        openLabel: 'Compare with this',
        filters: folderPick ? undefined : { 'VMSD or QEMU dump': ['vmsd', 'json', 'gz'], 'All files': ['*'] },
      });
      if (!uris?.[0]) return undefined;
      const spec = specFromPath(uris[0].fsPath, cwd);
      return { spec, setting: spec };
    }
  }
}

async function gitDefault(cwd: string): Promise<string> {
  const spec = await defaultGitBaseline(cwd);
  if (!spec) throw new Error(`${cwd} is not in a git repository with a commit: choose a folder, a file or a dump as the baseline`);
  return spec;
}

function toRange(r: PlainRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function toDiagnostic(p: PlainDiagnostic): vscode.Diagnostic {
  const d = new vscode.Diagnostic(toRange(p.range), p.message, p.severity as number as vscode.DiagnosticSeverity);
  d.code = p.code;
  d.source = p.source;
  if (p.related.length) d.relatedInformation = p.related.map((r) => new vscode.DiagnosticRelatedInformation(new vscode.Location(fileUri(r.file), toRange(r.range)), r.message));
  return d;
}
