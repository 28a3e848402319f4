import {
  CancellationToken,
  Connection,
  Diagnostic as LspDiagnostic,
  DiagnosticSeverity,
  DiagnosticTag,
  DidChangeWatchedFilesNotification,
  DocumentDiagnosticReportKind,
  DocumentHighlightKind,
  FileChangeType,
  InitializeParams,
  InitializeResult,
  Location as LspLocation,
  Position,
  Range as LspRange,
  CompletionItem as LspCompletionItem,
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  ResponseError,
  ErrorCodes,
  LSPErrorCodes,
  SymbolKind,
  TextDocumentSyncKind,
  TextDocuments,
} from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { runRuleSets } from '../checks/pipeline';
import { Diagnostic } from '../diagnostics/diagnostic';
import { definition, typeDefinition } from '../ide/definition';
import { foldingRanges } from '../ide/folding';
import { formattingEdits, rangeFormattingEdits, TextEdit } from '../ide/formatting';
import { codeActions } from '../ide/code-actions';
import { compatActions } from '../ide/compat-actions';
import { complete, CompletionKind } from '../ide/completion';
import { describe, hover } from '../ide/hover';
import { documentLinks } from '../ide/links';
import { documentHighlights, references } from '../ide/references';
import { selectionRanges } from '../ide/selection';
import { documentSymbols, OutlineSymbol, SymbolKindName, workspaceSymbols } from '../ide/symbols';
import { inlayHints } from '../ide/inlay-hints';
import { prepareRename, rename, RenameError } from '../ide/rename';
import { semanticTokens, TOKEN_MODIFIERS, TOKEN_TYPES } from '../ide/semantic-tokens';
import { Workspace } from '../semantic/workspace';
import { BaselineHost, baselineSpec, CompatState } from './compat';
import { DecodeStreamParams, PreviewParams, previewRequest, RequestError, StreamRequests } from './preview';
import { Range } from '../syntax/ast';
import { LineIndex } from '../util/lines';

/**
 * The language server: wiring only. Every feature is a pure function of server/src/ide;
 * this file converts offsets to positions, guards handlers, and keeps the workspace (disk
 * files, overridden by open documents) up to date.
 */

/** What the server needs from its host (Node: the file system). */
export interface ServerHost {
  /** All .vmsd files under a folder URI. */
  listFiles(folderUri: string): string[];
  /** A file's text, or undefined when it cannot be read. */
  readFile(uri: string): string | undefined;
  /** Baselines for compatibility diagnostics (git, other folders); absent: no compatibility checks. */
  baselines?: BaselineHost;
}

/** A handler to make fail on purpose, so tests can prove a failing feature is survived. */
const faultInjected = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.VMSD_TEST_FAULT;

/** How long diagnostics wait for the next edit before the analysis runs. */
export const PUBLISH_DELAY_MS = 30;

export function startServer(connection: Connection, host: ServerHost): void {
  const documents = new TextDocuments(TextDocument);
  const workspace = new Workspace();
  let pullDiagnostics = false;
  let watchedFiles = false;
  /** Workspace folder URIs (relative stream paths resolve against the first). */
  let folders: string[] = [];
  /** What was last published per URI, to skip identical re-publishes. */
  const published = new Map<string, string>();

  // stdout is the protocol pipe: route stray console output to the client's log.
  console.log = (...args: unknown[]) => connection.console.log(args.map(String).join(' '));
  console.error = (...args: unknown[]) => connection.console.error(args.map(String).join(' '));
  console.warn = console.error;

  const lineIndexes = new Map<string, { text: string; index: LineIndex }>();
  const lines = (uri: string): LineIndex => {
    // Related places may be in a baseline folder, outside the workspace.
    const text = workspace.text(uri) ?? host.readFile(uri) ?? '';
    const cached = lineIndexes.get(uri);
    if (cached && cached.text === text) return cached.index;
    const index = new LineIndex(text);
    lineIndexes.set(uri, { text, index });
    return index;
  };
  const toRange = (uri: string, r: Range): LspRange => {
    const li = lines(uri);
    return { start: li.position(r.start), end: li.position(r.end) };
  };
  const toOffset = (uri: string, p: Position): number => lines(uri).offset(p.line, p.character);

  /** Runs a handler; a failure is logged and answered with the fallback, never fatal. */
  const guard = <P, R>(name: string, fallback: R, fn: (params: P) => R) => {
    return (params: P, token?: CancellationToken): R => {
      if (token?.isCancellationRequested) return fallback;
      try {
        if (faultInjected === name) throw new Error(`fault injected into ${name} (VMSD_TEST_FAULT)`);
        return fn(params);
      } catch (e) {
        connection.console.error(`vmsd: ${name} failed: ${(e as Error).stack ?? String(e)}`);
        return fallback;
      }
    };
  };

  const lspDiagnostics = (uri: string, diags: Diagnostic[]): LspDiagnostic[] =>
    diags.map((d) => {
      const out: LspDiagnostic = {
        range: toRange(uri, d),
        severity:
          d.severity === 'error' ? DiagnosticSeverity.Error : d.severity === 'warning' ? DiagnosticSeverity.Warning : d.severity === 'info' ? DiagnosticSeverity.Information : DiagnosticSeverity.Hint,
        code: d.code,
        source: 'vmsd',
        message: d.message,
      };
      if (d.tags?.length) out.tags = d.tags.map((t) => (t === 'unnecessary' ? DiagnosticTag.Unnecessary : DiagnosticTag.Deprecated));
      if (d.related?.length) {
        out.relatedInformation = d.related.map((r) => {
          const ru = r.uri || uri;
          return { location: { uri: ru, range: toRange(ru, r) }, message: r.message };
        });
      }
      if (d.data) out.data = d.data;
      return out;
    });

  // Compatibility against a baseline (docs/compatibility.md): compared with the whole
  // workspace (a description's devices and machine types may be in other components).
  const compat = new CompatState();
  let compatSetting: string | undefined;
  /** The client contributes the declaration snippets itself (initializationOptions.clientSnippets). */
  let clientSnippets = false;
  let configurationSupport = false;
  const compatDiagnostics = (uri: string): Diagnostic[] => (compat.label ? compat.diagnostics(workspace.analysis(), uri, (u) => workspace.text(u)) : []);
  const currentSpec = () => (folders[0] && host.baselines ? baselineSpec(compatSetting, folders[0], host.baselines) : undefined);
  /** The default baseline follows HEAD: after a save or a change on disk, reload it if HEAD moved. */
  const refreshBaseline = () => {
    if (currentSpec() !== compat.spec) reloadBaseline();
  };
  const reloadBaseline = () => {
    const folder = folders[0];
    const spec = currentSpec();
    for (const p of compat.setBaseline(spec, folder ?? '', host.baselines)) connection.console.warn(`vmsd: ${p}`);
    if (compat.label) connection.console.info(`vmsd: compatibility baseline ${compat.label}`);
    published.clear();
    if (pullDiagnostics) void connection.languages.diagnostics.refresh();
    else schedulePublish();
  };
  const fetchSettings = async () => {
    if (!configurationSupport) return;
    const cfg = (await connection.workspace.getConfiguration('vmsd')) as { compat?: { baseline?: unknown } } | null;
    if (typeof cfg?.compat?.baseline === 'string') compatSetting = cfg.compat.baseline;
  };

  const diagnosticsFor = (uri: string): LspDiagnostic[] => lspDiagnostics(uri, [...runRuleSets(workspace.analysisFor(uri), [uri]), ...compatDiagnostics(uri)]);

  // Diagnostics are pushed for open documents. A burst of edits costs one analysis: each
  // change restarts a short timer and cancels the pending run (typing at 10 keys a second
  // still sees its diagnostics within PUBLISH_DELAY_MS of the last key).
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const schedulePublish = () => {
    if (pullDiagnostics) return;
    const mine = ++generation;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      if (mine !== generation) return;
      try {
        for (const doc of documents.all()) {
          // Re-published when they change, and for every new version of the document
          // (clients tie diagnostics to versions); other open files only when they change.
          const items = diagnosticsFor(doc.uri);
          const key = `${doc.version}\u0000${JSON.stringify(items)}`;
          if (published.get(doc.uri) === key) continue;
          published.set(doc.uri, key);
          void connection.sendDiagnostics({ uri: doc.uri, version: doc.version, diagnostics: items });
        }
      } catch (e) {
        connection.console.error(`vmsd: diagnostics failed: ${(e as Error).stack ?? String(e)}`);
      }
    }, PUBLISH_DELAY_MS);
  };

  connection.onInitialize((params: InitializeParams): InitializeResult => {
    const caps = params.capabilities;
    pullDiagnostics = !!caps.textDocument?.diagnostic;
    watchedFiles = !!caps.workspace?.didChangeWatchedFiles?.dynamicRegistration;
    folders = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    configurationSupport = !!caps.workspace?.configuration;
    const init = params.initializationOptions as { compat?: { baseline?: unknown }; clientSnippets?: unknown } | undefined;
    if (typeof init?.compat?.baseline === 'string') compatSetting = init.compat.baseline;
    clientSnippets = init?.clientSnippets === true;
    for (const folder of folders) indexFolder(folder);
    const result: InitializeResult = {
      capabilities: {
        // Saves are wanted: a commit or a checkout may have moved the git baseline.
        textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
        hoverProvider: true,
        completionProvider: { triggerCharacters: ['.', '@', ':', '(', '['], resolveProvider: true },
        codeActionProvider: { codeActionKinds: ['quickfix', 'refactor.rewrite', 'refactor.extract'] },
        definitionProvider: true,
        typeDefinitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        documentSymbolProvider: true,
        workspaceSymbolProvider: true,
        documentFormattingProvider: true,
        documentRangeFormattingProvider: true,
        foldingRangeProvider: true,
        selectionRangeProvider: true,
        documentLinkProvider: { resolveProvider: false },
        semanticTokensProvider: { legend: { tokenTypes: [...TOKEN_TYPES], tokenModifiers: [...TOKEN_MODIFIERS] }, full: true, range: true },
        inlayHintProvider: true,
        renameProvider: { prepareProvider: true },
        workspace: { workspaceFolders: { supported: true, changeNotifications: true } },
        // Custom requests (docs/lsp-extensions.md).
        experimental: { vmsdPreview: true, vmsdDecodeStream: true },
      },
      serverInfo: { name: 'vmsd-language-server', version: '0.1.0' },
    };
    if (pullDiagnostics) result.capabilities.diagnosticProvider = { interFileDependencies: true, workspaceDiagnostics: false };
    return result;
  });

  const indexFolder = (folder: string) => {
    for (const uri of host.listFiles(folder)) {
      if (documents.get(uri)) continue;
      const text = host.readFile(uri);
      if (text !== undefined) workspace.set(uri, text);
    }
  };

  connection.onInitialized(() => {
    void fetchSettings()
      .catch((e: unknown) => connection.console.error(`vmsd: reading settings failed: ${String(e)}`))
      .finally(reloadBaseline);
    connection.onDidChangeConfiguration((p: { settings?: { vmsd?: { compat?: { baseline?: unknown } } } }) => {
      const pushed = p.settings?.vmsd?.compat?.baseline;
      if (typeof pushed === 'string') compatSetting = pushed;
      void fetchSettings()
        .catch((e: unknown) => connection.console.error(`vmsd: reading settings failed: ${String(e)}`))
        .finally(reloadBaseline);
    });
    if (watchedFiles) {
      void connection.client.register(DidChangeWatchedFilesNotification.type, { watchers: [{ globPattern: '**/*.vmsd' }] });
    }
    connection.workspace.onDidChangeWorkspaceFolders((e) => {
      folders = [...folders.filter((u) => !e.removed.some((r) => r.uri === u)), ...e.added.map((f) => f.uri)];
      for (const f of e.added) indexFolder(f.uri);
      for (const f of e.removed) for (const uri of workspace.uris()) if (uri.startsWith(f.uri) && !documents.get(uri)) workspace.delete(uri);
      schedulePublish();
    });
  });

  documents.onDidOpen((e) => {
    workspace.set(e.document.uri, e.document.getText());
    schedulePublish();
  });
  documents.onDidChangeContent((e) => {
    workspace.set(e.document.uri, e.document.getText());
    schedulePublish();
  });
  documents.onDidSave(() => refreshBaseline());
  documents.onDidClose((e) => {
    // Back to what is on disk (or gone, for an unsaved new file).
    const disk = host.readFile(e.document.uri);
    if (disk === undefined) workspace.delete(e.document.uri);
    else workspace.set(e.document.uri, disk);
    published.delete(e.document.uri);
    if (!pullDiagnostics) void connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] });
    schedulePublish();
  });

  connection.onDidChangeWatchedFiles((e) => {
    for (const change of e.changes) {
      if (documents.get(change.uri)) continue; // the editor's text wins
      if (change.type === FileChangeType.Deleted) workspace.delete(change.uri);
      else {
        const text = host.readFile(change.uri);
        if (text !== undefined) workspace.set(change.uri, text);
      }
    }
    refreshBaseline(); // files changing on disk: often a checkout, which moves HEAD
    schedulePublish();
  });

  connection.languages.diagnostics.on(
    guard('diagnostics', { kind: DocumentDiagnosticReportKind.Full, items: [] as LspDiagnostic[] }, (p: { textDocument: { uri: string } }) => ({
      kind: DocumentDiagnosticReportKind.Full,
      items: diagnosticsFor(p.textDocument.uri),
    })),
  );

  connection.onHover(
    guard('hover', null, (p: { textDocument: { uri: string }; position: Position }) => {
      const uri = p.textDocument.uri;
      const offset = toOffset(uri, p.position);
      const h = hover(workspace.analysisFor(uri), uri, offset);
      const verdicts = h && compat.label ? compat.hoverTable(workspace.analysis(), uri, offset) : undefined;
      return h ? { contents: { kind: 'markdown' as const, value: verdicts ? `${h.contents}\n\n---\n\n${verdicts}` : h.contents }, range: toRange(uri, h.range) } : null;
    }),
  );

  const location = (l: { uri: string; range: Range } | undefined): LspLocation | null => (l ? { uri: l.uri, range: toRange(l.uri, l.range) } : null);

  connection.onDefinition(
    guard('definition', null, (p: { textDocument: { uri: string }; position: Position }) => {
      const uri = p.textDocument.uri;
      return location(definition(workspace.analysisFor(uri), uri, toOffset(uri, p.position)));
    }),
  );

  connection.onTypeDefinition(
    guard('typeDefinition', null, (p: { textDocument: { uri: string }; position: Position }) => {
      const uri = p.textDocument.uri;
      return location(typeDefinition(workspace.analysisFor(uri), uri, toOffset(uri, p.position)));
    }),
  );

  connection.onReferences(
    guard('references', [] as LspLocation[], (p: { textDocument: { uri: string }; position: Position; context: { includeDeclaration: boolean } }) => {
      const uri = p.textDocument.uri;
      return references(workspace.analysisFor(uri), uri, toOffset(uri, p.position), p.context.includeDeclaration).map((l) => location(l)!);
    }),
  );

  connection.onDocumentHighlight(
    guard('documentHighlight', [], (p: { textDocument: { uri: string }; position: Position }) => {
      const uri = p.textDocument.uri;
      return documentHighlights(workspace.analysisFor(uri), uri, toOffset(uri, p.position)).map((h) => ({
        range: toRange(uri, h.range),
        kind: h.kind === 'write' ? DocumentHighlightKind.Write : h.kind === 'read' ? DocumentHighlightKind.Read : DocumentHighlightKind.Text,
      }));
    }),
  );

  const symbolKinds: Record<SymbolKindName, SymbolKind> = {
    struct: SymbolKind.Struct,
    field: SymbolKind.Field,
    namespace: SymbolKind.Namespace,
    enum: SymbolKind.Enum,
    enumMember: SymbolKind.EnumMember,
    constant: SymbolKind.Constant,
    class: SymbolKind.Class,
    property: SymbolKind.Property,
    module: SymbolKind.Module,
  };

  connection.onDocumentSymbol(
    guard('documentSymbol', [], (p: { textDocument: { uri: string } }) => {
      const uri = p.textDocument.uri;
      const convert = (s: OutlineSymbol): import('vscode-languageserver').DocumentSymbol => ({
        name: s.name,
        detail: s.detail,
        kind: symbolKinds[s.kind],
        range: toRange(uri, s.range),
        selectionRange: toRange(uri, s.selectionRange),
        tags: s.deprecated ? [1] : undefined,
        children: s.children.map(convert),
      });
      return documentSymbols(workspace.analysisFor(uri), uri).map(convert);
    }),
  );

  connection.onWorkspaceSymbol(
    guard('workspaceSymbol', [], (p: { query: string }) =>
      workspaceSymbols(workspace.analysis(), p.query).map((s) => ({
        name: s.name,
        kind: symbolKinds[s.kind],
        location: { uri: s.uri, range: toRange(s.uri, s.range) },
        containerName: s.container,
      })),
    ),
  );

  const edits = (uri: string, list: TextEdit[]) => list.map((e) => ({ range: toRange(uri, e.range), newText: e.newText }));

  connection.onDocumentFormatting(
    guard('formatting', [], (p: { textDocument: { uri: string } }) => {
      const uri = p.textDocument.uri;
      const tree = workspace.tree(uri);
      return tree ? edits(uri, formattingEdits(tree)) : [];
    }),
  );

  connection.onDocumentRangeFormatting(
    guard('rangeFormatting', [], (p: { textDocument: { uri: string }; range: LspRange }) => {
      const uri = p.textDocument.uri;
      const tree = workspace.tree(uri);
      if (!tree) return [];
      return edits(uri, rangeFormattingEdits(tree, { start: toOffset(uri, p.range.start), end: toOffset(uri, p.range.end) }));
    }),
  );

  connection.onFoldingRanges(
    guard('foldingRange', [], (p: { textDocument: { uri: string } }) => {
      const tree = workspace.tree(p.textDocument.uri);
      return tree ? foldingRanges(tree, lines(p.textDocument.uri)) : [];
    }),
  );

  connection.onSelectionRanges(
    guard('selectionRange', [], (p: { textDocument: { uri: string }; positions: Position[] }) => {
      const uri = p.textDocument.uri;
      const tree = workspace.tree(uri);
      if (!tree) return [];
      return p.positions.map((pos) => {
        const ranges = selectionRanges(tree.file, toOffset(uri, pos));
        let sel: import('vscode-languageserver').SelectionRange | undefined;
        for (let i = ranges.length - 1; i >= 0; i--) sel = { range: toRange(uri, ranges[i]), parent: sel };
        return sel ?? { range: { start: pos, end: pos } };
      });
    }),
  );

  connection.onDocumentLinks(
    guard('documentLinks', [], (p: { textDocument: { uri: string } }) => {
      const uri = p.textDocument.uri;
      return documentLinks(workspace.analysisFor(uri), uri).map((l) => ({ range: toRange(uri, l.range), target: l.target }));
    }),
  );

  const completionKinds: Record<CompletionKind, CompletionItemKind> = {
    keyword: CompletionItemKind.Keyword,
    type: CompletionItemKind.TypeParameter,
    struct: CompletionItemKind.Struct,
    enum: CompletionItemKind.Enum,
    enumMember: CompletionItemKind.EnumMember,
    field: CompletionItemKind.Field,
    property: CompletionItemKind.Property,
    constant: CompletionItemKind.Constant,
    class: CompletionItemKind.Class,
    module: CompletionItemKind.Module,
    function: CompletionItemKind.Function,
    snippet: CompletionItemKind.Snippet,
    value: CompletionItemKind.Value,
  };
  /** The symbols behind the last completion list, for documentation on resolve. */
  let lastCompletion: Array<import('../semantic/model').AnySym | undefined> = [];

  connection.onCompletion(
    guard('completion', { isIncomplete: false, items: [] as LspCompletionItem[] }, (p: { textDocument: { uri: string }; position: Position }) => {
      const uri = p.textDocument.uri;
      const r = complete(workspace.analysisFor(uri), uri, toOffset(uri, p.position));
      // A client with snippets of its own (our VS Code extension) would list these twice.
      if (clientSnippets) r.items = r.items.filter((i) => i.kind !== 'snippet');
      const range = toRange(uri, r.replace);
      lastCompletion = r.items.map((i) => i.sym);
      const items = r.items.map((item, index): LspCompletionItem => ({
        label: item.label,
        kind: completionKinds[item.kind],
        detail: item.detail,
        textEdit: { range, newText: item.insertText ?? item.label },
        insertTextFormat: item.snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
        // Keep the order the feature chose (u8 before u16, fields before constants).
        sortText: String(index).padStart(5, '0'),
        data: { index },
      }));
      // Nothing typed yet (after `:` or a space): the list is for the next word, which the
      // editor would filter from here, space included; marked incomplete, it is asked
      // again once the word starts, with the word as its range.
      return { isIncomplete: r.replace.start === r.replace.end, items };
    }),
  );

  connection.onCompletionResolve((item: LspCompletionItem) => {
    try {
      const sym = lastCompletion[(item.data as { index?: number } | undefined)?.index ?? -1];
      if (sym) item.documentation = { kind: MarkupKind.Markdown, value: describe(workspace.analysisFor(sym.uri), sym) };
    } catch (e) {
      connection.console.error(`vmsd: completionResolve failed: ${(e as Error).stack ?? String(e)}`);
    }
    return item; // unresolved at worst, never lost
  });

  connection.onCodeAction(
    guard('codeAction', [], (p: { textDocument: { uri: string }; range: LspRange; context: { only?: string[] } }) => {
      const uri = p.textDocument.uri;
      const range = { start: toOffset(uri, p.range.start), end: toOffset(uri, p.range.end) };
      const analysis = workspace.analysisFor(uri);
      // The server's own diagnostics that touch the range (the client's copies lack our data).
      const diags = runRuleSets(analysis, [uri]).filter((d) => d.start <= range.end && d.end >= range.start);
      const compatDiags = compatDiagnostics(uri).filter((d) => d.start <= range.end && d.end >= range.start);
      const all = [...codeActions(analysis, uri, range, diags), ...(compatDiags.length ? compatActions(workspace.analysis(), uri, compatDiags) : [])];
      const actions = all.filter((a) => !p.context.only || p.context.only.some((k) => a.kind.startsWith(k)));
      return actions.map((a) => {
        const changes: Record<string, Array<{ range: LspRange; newText: string }>> = {};
        for (const e of a.edits) (changes[e.uri] ??= []).push({ range: toRange(e.uri, e.range), newText: e.newText });
        return { title: a.title, kind: a.kind, isPreferred: a.isPreferred, diagnostics: a.diagnostics ? lspDiagnostics(uri, a.diagnostics) : undefined, edit: { changes } };
      });
    }),
  );

  const encodeTokens = (uri: string, range?: Range): number[] => {
    const li = lines(uri);
    const text = workspace.text(uri) ?? '';
    const data: number[] = [];
    let prevLine = 0;
    let prevChar = 0;
    for (const t of semanticTokens(workspace.analysisFor(uri), uri, range)) {
      // Tokens may not span lines in the protocol: cut multi-line ones (block comments).
      let start = t.start;
      while (start < t.end) {
        const pos = li.position(start);
        const lineEnd = Math.min(t.end, li.offset(pos.line + 1, 0));
        let end = lineEnd;
        while (end > start && (text.charCodeAt(end - 1) === 10 || text.charCodeAt(end - 1) === 13)) end--;
        if (end > start) {
          data.push(pos.line - prevLine, pos.line === prevLine ? pos.character - prevChar : pos.character, end - start, TOKEN_TYPES.indexOf(t.type), t.modifiers.reduce((m, x) => m | (1 << TOKEN_MODIFIERS.indexOf(x)), 0));
          prevLine = pos.line;
          prevChar = pos.character;
        }
        if (lineEnd <= start) break;
        start = lineEnd;
      }
    }
    return data;
  };

  connection.languages.semanticTokens.on(guard('semanticTokens', { data: [] as number[] }, (p: { textDocument: { uri: string } }) => ({ data: encodeTokens(p.textDocument.uri) })));
  connection.languages.semanticTokens.onRange(
    guard('semanticTokensRange', { data: [] as number[] }, (p: { textDocument: { uri: string }; range: LspRange }) => {
      const uri = p.textDocument.uri;
      return { data: encodeTokens(uri, { start: toOffset(uri, p.range.start), end: toOffset(uri, p.range.end) }) };
    }),
  );

  connection.languages.inlayHint.on(
    guard('inlayHint', [], (p: { textDocument: { uri: string }; range: LspRange }) => {
      const uri = p.textDocument.uri;
      const li = lines(uri);
      return inlayHints(workspace.analysisFor(uri), uri, { start: toOffset(uri, p.range.start), end: toOffset(uri, p.range.end) }).map((h) => ({
        position: li.position(h.offset),
        label: h.label,
        tooltip: h.tooltip,
      }));
    }),
  );

  // Rename: refusals travel as errors the client shows; wire-changing renames ask for confirmation.
  connection.onPrepareRename((p, token) => {
    if (token.isCancellationRequested) return null;
    const uri = p.textDocument.uri;
    try {
      const r = prepareRename(workspace.analysisFor(uri), uri, toOffset(uri, p.position));
      return { range: toRange(uri, r.range), placeholder: r.placeholder };
    } catch (e) {
      if (e instanceof RenameError) return new ResponseError(ErrorCodes.InvalidRequest, e.message);
      connection.console.error(`vmsd: prepareRename failed: ${(e as Error).stack}`);
      return null;
    }
  });
  connection.onRenameRequest((p, token) => {
    if (token.isCancellationRequested) return null;
    const uri = p.textDocument.uri;
    try {
      const r = rename(workspace.analysisFor(uri), uri, toOffset(uri, p.position), p.newName);
      const changes: Record<string, Array<{ range: LspRange; newText: string; annotationId?: string }>> = {};
      for (const e of r.edits) (changes[e.uri] ??= []).push({ range: toRange(e.uri, e.range), newText: e.newText, ...(r.confirm ? { annotationId: 'wire' } : {}) });
      if (!r.confirm) return { changes };
      return {
        documentChanges: Object.entries(changes).map(([u, edits]) => ({ textDocument: { uri: u, version: documents.get(u)?.version ?? null }, edits })),
        changeAnnotations: { wire: { label: 'Changes what goes on the wire', description: r.confirm, needsConfirmation: true } },
      };
    } catch (e) {
      if (e instanceof RenameError) return new ResponseError(ErrorCodes.InvalidRequest, e.message);
      connection.console.error(`vmsd: rename failed: ${(e as Error).stack}`);
      return null;
    }
  });

  // Custom requests: bad params are InvalidParams errors with the reason; the rest is guarded.
  const custom = <P, R>(name: string, fn: (params: P) => R) => {
    return (params: P, token: CancellationToken): R | ResponseError => {
      if (token.isCancellationRequested) return new ResponseError(LSPErrorCodes.RequestCancelled, 'cancelled');
      try {
        if (faultInjected === name) throw new Error(`fault injected into ${name} (VMSD_TEST_FAULT)`);
        return fn(params);
      } catch (e) {
        if (e instanceof RequestError) return new ResponseError(ErrorCodes.InvalidParams, e.message);
        connection.console.error(`vmsd: ${name} failed: ${(e as Error).stack ?? String(e)}`);
        return new ResponseError(ErrorCodes.InternalError, `${name} failed: ${(e as Error).message}`);
      }
    };
  };
  const streams = new StreamRequests();

  connection.onRequest(
    'vmsd/preview',
    custom('preview', (p: PreviewParams) => {
      if (!p || typeof p.uri !== 'string') throw new RequestError('`uri` is required');
      return previewRequest(workspace.analysisFor(p.uri), p.position ? toOffset(p.uri, p.position) : undefined, p);
    }),
  );
  connection.onRequest(
    'vmsd/decodeStream',
    custom('decodeStream', (p: DecodeStreamParams) => {
      if (!p || typeof p !== 'object') throw new RequestError('params are required');
      return streams.decodeStream(workspace.analysis(), folders, p);
    }),
  );

  documents.listen(connection);
  connection.listen();
}
