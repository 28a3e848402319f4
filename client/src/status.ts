import * as vscode from 'vscode';
import { baselineFromSetting, ServerState, statusPresentation } from './status-model';

/**
 * The status bar item: the language server's state (starting, ready, stopped after an
 * error) and the compatibility baseline it compares with. A click shows the output.
 */
export class ServerStatus implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ServerState = 'starting';
  private detail: string | undefined;
  /** The server's label for the loaded baseline; null when the setting is off. */
  private baseline: string | undefined | null;
  private readonly disposables: vscode.Disposable[] = [];

  constructor() {
    this.item = vscode.window.createStatusBarItem('vmsd.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'VMSD Language Server';
    this.item.command = 'vmsd.showOutput';
    this.baseline = baselineFromSetting(this.setting());
    this.disposables.push(
      this.item,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (!e.affectsConfiguration('vmsd.compat.baseline')) return;
        // Until the server has loaded the new one (it logs its label).
        this.baseline = baselineFromSetting(this.setting());
        this.render();
      }),
    );
    this.render();
    this.item.show();
  }

  private setting(): string {
    return vscode.workspace.getConfiguration('vmsd', vscode.workspace.workspaceFolders?.[0]).get<string>('compat.baseline', '');
  }

  setState(state: ServerState, detail?: string): void {
    this.state = state;
    this.detail = detail;
    this.render();
  }

  /** The server loaded this baseline. */
  setBaseline(label: string): void {
    if (this.baseline === null) return; // a stale line after the setting went off
    this.baseline = label;
    this.render();
  }

  private render(): void {
    const p = statusPresentation(this.state, this.baseline ?? undefined, this.detail);
    this.item.text = p.text;
    this.item.tooltip = p.tooltip;
    this.item.backgroundColor = p.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.accessibilityInformation = { label: p.tooltip.split('\n').filter(Boolean).slice(0, -1).join('. ') };
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
