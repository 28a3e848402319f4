import * as vscode from 'vscode';
import type { FromExtension, FromWebview, MatrixView } from '../../webview/matrix/protocol';
import { webviewHtml } from '../webview/html';
import { pickDescriptionSymbol } from './matrix-model';

/**
 * The verdict matrix of the last "Check Compatibility Against Baseline": one panel, reused
 * by every run. The webview (client/webview/matrix/main.ts) draws it; it asks back to
 * open a description's source.
 */
export class MatrixPanel {
  private static current: MatrixPanel | undefined;
  private view: MatrixView;
  private ready = false;

  static show(extensionUri: vscode.Uri, view: MatrixView): void {
    if (MatrixPanel.current) {
      MatrixPanel.current.update(view);
      MatrixPanel.current.panel.reveal(undefined, true);
      return;
    }
    MatrixPanel.current = new MatrixPanel(extensionUri, view);
  }

  private readonly panel: vscode.WebviewPanel;

  private constructor(extensionUri: vscode.Uri, view: MatrixView) {
    this.view = view;
    this.panel = vscode.window.createWebviewPanel('vmsd.compatMatrix', title(view), { viewColumn: vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')],
    });
    this.panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    this.panel.webview.html = webviewHtml({ webview: this.panel.webview, extensionUri, script: 'dist/webview/matrix.js', style: 'media/matrix.css', title: 'VMSD compatibility matrix' });
    this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.receive(m));
    this.panel.onDidDispose(() => {
      if (MatrixPanel.current === this) MatrixPanel.current = undefined;
    });
  }

  private update(view: MatrixView): void {
    this.view = view;
    this.panel.title = title(view);
    if (this.ready) this.post();
  }

  private post(): void {
    const m: FromExtension = { kind: 'matrix', view: this.view };
    void this.panel.webview.postMessage(m);
  }

  private receive(m: FromWebview): void {
    if (m.kind === 'ready') {
      this.ready = true;
      this.post();
    } else if (m.kind === 'reveal') {
      void revealDescription(m.description).catch((e: unknown) => vscode.window.showErrorMessage(`VMSD: ${e instanceof Error ? e.message : String(e)}`));
    }
  }
}

function title(view: MatrixView): string {
  return `Compatibility: ${view.baseline.replace(/^git:([0-9a-f]{12,40})$/, (_, s: string) => `git:${s.slice(0, 7)}`)}`;
}

/** Opens the declaration of the description whose wire name is given (through the language server's workspace symbols). */
async function revealDescription(wireName: string): Promise<void> {
  let symbols = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', wireName)) ?? [];
  let found = pickDescriptionSymbol(symbols, wireName);
  if (!found) {
    symbols = (await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', '')) ?? [];
    found = pickDescriptionSymbol(symbols, wireName);
  }
  if (!found) {
    void vscode.window.showInformationMessage(`VMSD: no description with the wire name "${wireName}" in the workspace (only the baseline has it?)`);
    return;
  }
  // Beside the matrix (the active editor when the webview asks), which stays in view.
  const editor = await vscode.window.showTextDocument(found.location.uri, { viewColumn: vscode.ViewColumn.Beside, preview: true });
  editor.selection = new vscode.Selection(found.location.range.start, found.location.range.end);
  editor.revealRange(found.location.range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}
