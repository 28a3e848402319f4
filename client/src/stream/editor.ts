import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { DecodeParams, DescriptionLocation, FromExtension, FromWebview } from '../../webview/stream/protocol';
import { webviewHtml } from '../webview/html';

/**
 * "VMSD: Open Migration Stream": a read-only custom editor for migration stream files
 * (`*.mig`, `*.vmstate`, or any file through the command). The webview
 * (client/webview/stream/) asks for pages of the language server's `vmsd/decodeStream`;
 * this side adds the stream's URI, forwards them, opens descriptions, and tells the
 * webview to decode again when the workspace's descriptions, the file or `vmsd.machine`
 * change. The stream itself never goes to the webview, only the pages it shows.
 */

export const STREAM_VIEW_TYPE = 'vmsd.streamViewer';

export function registerStreamViewer(context: vscode.ExtensionContext, client: () => LanguageClient | undefined): void {
  const provider = new StreamViewerProvider(context, client);
  context.subscriptions.push(
    provider,
    vscode.window.registerCustomEditorProvider(STREAM_VIEW_TYPE, provider, { supportsMultipleEditorsPerDocument: true, webviewOptions: { retainContextWhenHidden: false } }),
    vscode.commands.registerCommand('vmsd.openStream', async (uri?: unknown) => {
      let target = uri instanceof vscode.Uri ? uri : undefined;
      if (!target) {
        const picked = await vscode.window.showOpenDialog({
          canSelectMany: false,
          openLabel: 'Open Migration Stream',
          title: 'VMSD: Open Migration Stream',
          filters: { 'Migration streams': ['mig', 'vmstate'], 'All files': ['*'] },
          ...(vscode.workspace.workspaceFolders?.[0] ? { defaultUri: vscode.workspace.workspaceFolders[0].uri } : {}),
        });
        target = picked?.[0];
      }
      if (target) await vscode.commands.executeCommand('vscode.openWith', target, STREAM_VIEW_TYPE);
    }),
  );
}

/** A stream opened in the viewer; streams not on a `file:` path are copied to a temporary file the server can read. */
class StreamDocument implements vscode.CustomDocument {
  constructor(
    readonly uri: vscode.Uri,
    private readonly copy?: string,
  ) {}

  /** What the server is asked to read. */
  get serverUri(): string {
    return this.copy ? vscode.Uri.file(this.copy).toString() : this.uri.toString();
  }

  dispose(): void {
    if (this.copy) fs.rm(path.dirname(this.copy), { recursive: true, force: true }, () => undefined);
  }
}

interface Panel {
  document: StreamDocument;
  post(m: FromExtension): void;
}

class StreamViewerProvider implements vscode.CustomReadonlyEditorProvider<StreamDocument>, vscode.Disposable {
  private readonly panels = new Set<Panel>();
  private readonly disposables: vscode.Disposable[] = [];
  private pending: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
  ) {
    // The descriptions changed: on save, or on disk (a checkout, another editor).
    const vmsd = vscode.workspace.createFileSystemWatcher('**/*.vmsd');
    const changed = () => this.descriptionsChanged();
    this.disposables.push(
      vmsd,
      vmsd.onDidChange(changed),
      vmsd.onDidCreate(changed),
      vmsd.onDidDelete(changed),
      vscode.workspace.onDidSaveTextDocument((d) => {
        if (d.languageId === 'vmsd' || d.uri.path.endsWith('.vmsd')) changed();
      }),
      vscode.workspace.onDidChangeConfiguration((e) => {
        for (const p of this.panels) if (e.affectsConfiguration('vmsd.machine', p.document.uri)) p.post({ kind: 'refresh', reason: 'settings', machineSetting: machineSetting(p.document.uri) });
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    if (this.pending) clearTimeout(this.pending);
  }

  async openCustomDocument(uri: vscode.Uri): Promise<StreamDocument> {
    if (uri.scheme === 'file') return new StreamDocument(uri);
    const data = await vscode.workspace.fs.readFile(uri);
    const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vmsd-stream-'));
    const file = path.join(dir, path.posix.basename(uri.path) || 'stream.mig');
    await fs.promises.writeFile(file, data);
    return new StreamDocument(uri, file);
  }

  resolveCustomEditor(document: StreamDocument, panel: vscode.WebviewPanel): void {
    const extensionUri = this.context.extensionUri;
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')] };
    const fileName = path.posix.basename(document.uri.path);
    webview.html = webviewHtml({ webview, extensionUri, script: 'dist/webview/stream.js', style: 'media/stream.css', title: `Migration stream ${fileName}` });

    const p: Panel = { document, post: (m) => void webview.postMessage(m) };
    this.panels.add(p);
    const subscriptions: vscode.Disposable[] = [];
    if (document.uri.scheme === 'file') {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.file(path.dirname(document.uri.fsPath)), path.basename(document.uri.fsPath)));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const changed = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => p.post({ kind: 'refresh', reason: 'file', machineSetting: machineSetting(document.uri) }), 300);
      };
      subscriptions.push(watcher, watcher.onDidChange(changed), watcher.onDidCreate(changed), { dispose: () => timer && clearTimeout(timer) });
    }
    subscriptions.push(
      webview.onDidReceiveMessage((m: FromWebview) => {
        if (m.kind === 'ready') p.post({ kind: 'init', fileName, machineSetting: machineSetting(document.uri) });
        else if (m.kind === 'decode') void this.decode(p, m.id, m.params);
        else if (m.kind === 'open') void openLocation(m.location);
      }),
    );
    panel.onDidDispose(() => {
      this.panels.delete(p);
      for (const s of subscriptions) s.dispose();
    });
  }

  private descriptionsChanged(): void {
    if (this.pending) clearTimeout(this.pending);
    this.pending = setTimeout(() => {
      this.pending = undefined;
      for (const p of this.panels) p.post({ kind: 'refresh', reason: 'descriptions', machineSetting: machineSetting(p.document.uri) });
    }, 300);
  }

  /** Forwards one page request to the server; the webview cannot name another file. */
  private async decode(p: Panel, id: number, params: DecodeParams): Promise<void> {
    try {
      const client = await this.running(p);
      const { descriptionsFrom, machine, values, sections, page, bytes } = params;
      const result = await client.sendRequest('vmsd/decodeStream', { uri: p.document.serverUri, descriptionsFrom, machine, values, sections, page, bytes });
      p.post({ kind: 'decoded', id, result: result as never });
    } catch (e) {
      const err = e as { code?: unknown; message?: unknown };
      p.post({ kind: 'decoded', id, error: { code: typeof err.code === 'number' ? err.code : -32603, message: typeof err.message === 'string' ? err.message : String(e) } });
    }
  }

  /** The language client once it runs (the extension may still be starting it); not for a closed panel. */
  private async running(p: Panel): Promise<LanguageClient> {
    for (let waited = 0; ; waited += 200) {
      if (!this.panels.has(p)) throw new Error('the viewer was closed');
      const c = this.client();
      if (c?.isRunning()) return c;
      if (waited >= 30_000) throw new Error('the VMSD language server is not running (see the VMSD output channel)');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function machineSetting(uri: vscode.Uri): string {
  return vscode.workspace.getConfiguration('vmsd', uri).get<string>('machine', '') ?? '';
}

async function openLocation(l: DescriptionLocation): Promise<void> {
  try {
    // The location comes through the webview: only a description file on disk is opened.
    if (vscode.Uri.parse(l.uri).scheme !== 'file') throw new Error('not a file on disk');
    const range = new vscode.Range(l.range.start.line, l.range.start.character, l.range.end.line, l.range.end.character);
    await vscode.window.showTextDocument(vscode.Uri.parse(l.uri), { viewColumn: vscode.ViewColumn.Beside, preview: true, selection: range });
  } catch (e) {
    void vscode.window.showErrorMessage(`VMSD: cannot open ${l.uri}: ${e instanceof Error ? e.message : String(e)}`);
  }
}
