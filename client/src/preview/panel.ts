import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { webviewHtml } from '../webview/html';
import type { Format, FormatSetting, FromWebview, PreviewOptions, PreviewResult, Source, ToWebview } from '../../webview/preview/protocol';

/**
 * "VMSD: Preview Encoded State": a webview beside the editor, one per document, showing
 * the bytes of the description under the cursor as the server's `vmsd/preview` makes
 * them (docs/lsp-extensions.md). This side follows the editor — document changes
 * (debounced), the cursor moving to another description, settings — asks the server,
 * and reveals declarations; the webview (client/webview/preview/) draws and keeps the
 * panel's choices (version, machine type, format, edited values), which it sends back
 * as options.
 */

const VIEW_TYPE = 'vmsd.preview';
/** After typing: the server re-analyses on its own debounce; the preview waits a little longer. */
const CHANGE_DELAY = 350;
/** After the cursor leaves the description previewed. */
const CURSOR_DELAY = 200;
/** Annotations a request asks for (the server's maximum), and in all. */
const PAGE = 20000;
const MAX_ANNOTATIONS = 100000;
/** vscode-jsonrpc's ErrorCodes.ConnectionInactive: the client is stopped or failed to start. */
const CONNECTION_INACTIVE = -32096;
/** A reveal's own selection event is not the user moving the cursor. */
const REVEAL_ECHO_MS = 1500;

export function registerPreview(context: vscode.ExtensionContext, client: () => LanguageClient | undefined): void {
  const panels = new Map<string, PreviewPanel>();
  const open = (doc: vscode.TextDocument, position: vscode.Position | undefined) => {
    const key = doc.uri.toString();
    let p = panels.get(key);
    if (!p) {
      p = new PreviewPanel(context, client, doc, () => panels.delete(key));
      panels.set(key, p);
    } else p.show();
    p.follow(position);
  };
  context.subscriptions.push(
    vscode.commands.registerCommand('vmsd.preview', async (arg?: unknown) => {
      const editor = vscode.window.activeTextEditor;
      let doc = editor?.document;
      if (arg instanceof vscode.Uri && arg.toString() !== doc?.uri.toString()) doc = await vscode.workspace.openTextDocument(arg);
      if (!doc || doc.languageId !== 'vmsd') {
        void vscode.window.showInformationMessage('VMSD: open a .vmsd file and put the cursor in a vmstate description to preview its encoded state.');
        return;
      }
      const position = editor && editor.document === doc ? editor.selection.active : undefined;
      open(doc, position);
    }),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length) for (const p of panels.values()) p.documentChanged(e.document);
    }),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      for (const p of panels.values()) p.selectionChanged(e);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      const format = e.affectsConfiguration('vmsd.preview.format');
      if (format || e.affectsConfiguration('vmsd.machine')) for (const p of panels.values()) p.settingsChanged(format);
    }),
    { dispose: () => [...panels.values()].forEach((p) => p.dispose()) },
  );
}

type Target = { position: vscode.Position } | { description: string };

class PreviewPanel {
  private readonly panel: vscode.WebviewPanel;
  private ready = false;
  /** The last state posted (sent again when the webview says it is ready). */
  private last?: ToWebview;
  private lastCursor?: ToWebview;
  /** The description previewed, its declarations, and the document version they are from. */
  private current?: { description: string; sources: Source[]; declaration: number };
  /** The panel's options, per description, so coming back to one keeps them. */
  private readonly options = new Map<string, PreviewOptions>();
  private seq = 0;
  private cts?: vscode.CancellationTokenSource;
  private timer?: ReturnType<typeof setTimeout>;
  private retries = 0;
  /** A refresh asked for while hidden: done when shown. */
  private pending?: Target | 'current';
  private revealed?: { uri: string; range: vscode.Range; at: number };
  private disposed = false;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    context: vscode.ExtensionContext,
    private readonly client: () => LanguageClient | undefined,
    private readonly document: vscode.TextDocument,
    private readonly onDispose: () => void,
  ) {
    const ext = context.extensionUri;
    this.panel = vscode.window.createWebviewPanel(
      VIEW_TYPE,
      `Preview ${path.basename(document.uri.path)}`,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        enableFindWidget: true,
        localResourceRoots: [vscode.Uri.joinPath(ext, 'dist', 'webview'), vscode.Uri.joinPath(ext, 'media')],
      },
    );
    this.panel.webview.html = webviewHtml({ webview: this.panel.webview, extensionUri: ext, script: 'dist/webview/preview.js', style: 'media/preview.css', title: 'VMSD encoded state preview' });
    this.disposables.push(
      this.panel.webview.onDidReceiveMessage((m: FromWebview) => this.received(m)),
      this.panel.onDidDispose(() => this.dispose()),
      this.panel.onDidChangeViewState(() => {
        if (this.panel.visible && this.pending) {
          const p = this.pending;
          this.pending = undefined;
          void this.refresh(p === 'current' ? undefined : p);
        }
      }),
    );
  }

  show(): void {
    this.panel.reveal(undefined, true);
  }

  /** Preview the description at the position (the command's cursor), else the one shown. */
  follow(position: vscode.Position | undefined): void {
    void this.refresh(position ? { position } : undefined);
  }

  documentChanged(doc: vscode.TextDocument): void {
    if (doc.uri.toString() !== this.document.uri.toString() && !this.current?.sources.some((s) => s.uri === doc.uri.toString())) return;
    // Showing nothing: what the cursor is in now (typing a new description).
    const editor = this.current ? undefined : vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.document.uri.toString());
    this.schedule(CHANGE_DELAY, editor ? { position: editor.selection.active } : undefined);
  }

  settingsChanged(format: boolean): void {
    if (format) for (const o of this.options.values()) delete o.format;
    this.schedule(0, undefined);
  }

  selectionChanged(e: vscode.TextEditorSelectionChangeEvent): void {
    const uri = e.textEditor.document.uri.toString();
    const pos = e.selections[0]?.active;
    if (!pos) return;
    const r = this.revealed;
    if (r && r.uri === uri && Date.now() - r.at < REVEAL_ECHO_MS && e.selections[0].isEqual(new vscode.Selection(r.range.start, r.range.end))) {
      this.revealed = undefined;
      return;
    }
    // Inside the description or one of the declarations it uses: point at it; else preview what is there.
    if (!this.pointAt(uri, pos) && uri === this.document.uri.toString()) this.schedule(CURSOR_DELAY, { position: pos });
  }

  /** Tells the webview which declarations of the preview hold the position (innermost first); false when none. */
  private pointAt(uri: string, pos: vscode.Position): boolean {
    const hits = (this.current?.sources ?? [])
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.uri === uri && toRange(s.range).contains(pos))
      .sort((a, b) => size(a.s.range) - size(b.s.range))
      .map(({ i }) => i);
    if (hits.length) this.post({ kind: 'cursor', sources: hits });
    return hits.length > 0;
  }

  private schedule(ms: number, target: Target | undefined): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(target), ms);
  }

  private post(m: ToWebview): void {
    if (m.kind === 'update' || m.kind === 'empty' || m.kind === 'failure') {
      this.last = m;
      this.lastCursor = undefined;
    } else if (m.kind === 'cursor') this.lastCursor = m;
    if (this.ready) void this.panel.webview.postMessage(m);
  }

  private received(m: FromWebview): void {
    switch (m.kind) {
      case 'ready':
        this.ready = true;
        if (this.last) void this.panel.webview.postMessage(this.last);
        if (this.lastCursor) void this.panel.webview.postMessage(this.lastCursor);
        break;
      case 'options':
        this.options.set(m.options.description, m.options);
        void this.refresh(undefined);
        break;
      case 'reveal':
        void this.reveal(m.source, m.focus);
        break;
      case 'retry':
        this.retries = 0;
        void this.refresh(undefined);
        break;
    }
  }

  private async reveal(index: number, focus: boolean): Promise<void> {
    const s = this.current?.sources[index];
    if (!s) return;
    const uri = vscode.Uri.parse(s.uri);
    const range = toRange(s.nameRange);
    const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === s.uri) ?? vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === this.document.uri.toString());
    const column = shown?.viewColumn ?? (this.panel.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    this.revealed = { uri: s.uri, range, at: Date.now() };
    try {
      const editor = await vscode.window.showTextDocument(uri, { viewColumn: column, selection: range, preserveFocus: !focus });
      editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (e) {
      this.revealed = undefined;
      this.post({ kind: 'failure', message: `Cannot open ${s.uri}: ${(e as Error).message}` });
    }
  }

  /** Asks the server for the preview: of the description at a position, else of the one shown. */
  private async refresh(target: Target | undefined): Promise<void> {
    if (this.disposed) return;
    if (!this.panel.visible) {
      this.pending = target ?? this.pending ?? 'current';
      return;
    }
    const c = this.client();
    if (!c) {
      this.waitForServer(target);
      return;
    }
    const to = target ?? (this.current ? { description: this.current.description } : undefined);
    if (!to) {
      this.showEmpty('Put the cursor in a vmstate description to preview its encoded state.');
      return;
    }
    this.cts?.cancel();
    const cts = (this.cts = new vscode.CancellationTokenSource());
    const seq = ++this.seq;
    this.post({ kind: 'busy', busy: true });
    const named = 'description' in to ? to.description : undefined;
    const options = named !== undefined ? this.options.get(named) : undefined;
    try {
      let got = await this.request(c, to, options, cts.token);
      if (seq !== this.seq || this.disposed) return; // closed meanwhile: the panel is gone
      const first = got.results.qemu ?? got.results.cbor;
      // Found by position: the description's own options, when the panel has some.
      const own = first && named === undefined ? this.options.get(first.description) : undefined;
      if (first && own) {
        got = await this.request(c, { description: first.description }, own, cts.token);
        if (seq !== this.seq || this.disposed) return;
      }
      const p = got.results.qemu ?? got.results.cbor;
      if (!p) {
        this.post({ kind: 'busy', busy: false });
        return;
      }
      this.retries = 0;
      this.current = { description: p.description, sources: p.sources, declaration: p.declaration };
      this.panel.title = `Preview ${p.description}`;
      const applied = this.options.get(p.description);
      this.post({ kind: 'update', view: { uri: this.document.uri.toString(), file: path.basename(this.document.uri.path), format: got.format, machineSetting: this.machineSetting(), results: got.results, options: applied, truncated: got.truncated } });
      // Where the cursor is, once the panel has the declarations.
      const editor = vscode.window.activeTextEditor;
      if (editor) this.pointAt(editor.document.uri.toString(), editor.selection.active);
    } catch (e) {
      if (seq !== this.seq || this.disposed) return;
      const err = e as { code?: number; message?: string };
      if (err.code === -32800) return; // cancelled: a newer request runs
      if (err.code === CONNECTION_INACTIVE) {
        this.waitForServer(target);
        return;
      }
      if (err.code === -32602 && /no description/.test(err.message ?? '')) {
        this.current = undefined;
        this.showEmpty('No vmstate description at the cursor.');
      } else if (err.code === -32602 && named !== undefined) {
        // The description is gone (renamed, deleted): follow the cursor instead, if it is in this document.
        this.current = undefined;
        const editor = vscode.window.visibleTextEditors.find((x) => x.document.uri.toString() === this.document.uri.toString());
        if (editor && !target) void this.refresh({ position: editor.selection.active });
        else this.showEmpty(`${err.message ?? 'The description is gone.'}`);
      } else {
        this.post({ kind: 'failure', message: `vmsd/preview failed: ${err.message ?? String(e)}` });
      }
    } finally {
      if (this.cts === cts) this.cts = undefined;
      cts.dispose();
    }
  }

  /** No server (starting failed, stopped, restarting): said, and asked again a little later for a minute. */
  private waitForServer(target: Target | undefined): void {
    this.post({ kind: 'failure', message: 'The VMSD language server is not running; the preview asks again when it is (or use Retry).' });
    if (this.retries++ < 30) this.schedule(2000, target);
  }

  private showEmpty(message: string): void {
    this.panel.title = `Preview ${path.basename(this.document.uri.path)}`;
    this.post({ kind: 'empty', message, file: path.basename(this.document.uri.path) });
  }

  private machineSetting(): string {
    return vscode.workspace.getConfiguration('vmsd', this.document.uri).get<string>('machine', '') ?? '';
  }

  private async request(c: LanguageClient, to: Target, options: PreviewOptions | undefined, token: vscode.CancellationToken): Promise<{ results: Partial<Record<Format, PreviewResult>>; format: FormatSetting; truncated: boolean }> {
    const setting = vscode.workspace.getConfiguration('vmsd', this.document.uri).get<FormatSetting>('preview.format', 'both');
    const format: FormatSetting = options?.format ?? (['both', 'qemu', 'cbor'].includes(setting) ? setting : 'both');
    const formats: Format[] = format === 'both' ? ['qemu', 'cbor'] : [format];
    const machine = options?.machine ?? (this.machineSetting() || undefined);
    const base = {
      uri: this.document.uri.toString(),
      ...('position' in to ? { position: { line: to.position.line, character: to.position.character } } : { description: to.description }),
      ...(options?.version !== undefined ? { version: options.version } : {}),
      ...(machine ? { machine } : {}),
      ...(options?.value !== undefined ? { value: options.value } : {}),
      ...(options?.opaque ? { opaque: options.opaque } : {}),
    };
    let truncated = false;
    const one = async (f: Format): Promise<PreviewResult> => {
      const r = await c.sendRequest<PreviewResult>('vmsd/preview', { ...base, format: f, page: { offset: 0, limit: PAGE } }, token);
      // The rest of the annotations, a page at a time (e1000 has tens of thousands).
      while (r.annotations.length < r.annotationsTotal && !token.isCancellationRequested) {
        if (r.annotations.length >= MAX_ANNOTATIONS) {
          truncated = true;
          break;
        }
        const more = await c.sendRequest<PreviewResult>('vmsd/preview', { ...base, format: f, page: { offset: r.annotations.length, limit: PAGE } }, token);
        if (!more.annotations.length) break;
        r.annotations.push(...more.annotations);
      }
      return r;
    };
    const list = await Promise.all(formats.map(one));
    const results: Partial<Record<Format, PreviewResult>> = {};
    formats.forEach((f, i) => (results[f] = list[i]));
    return { results, format, truncated };
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    this.cts?.cancel();
    this.onDispose();
    for (const d of this.disposables) d.dispose();
    this.panel.dispose();
  }
}

function toRange(r: Source['range']): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

function size(r: Source['range']): number {
  return (r.end.line - r.start.line) * 100000 + (r.end.character - r.start.character);
}
