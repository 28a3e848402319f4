import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, State, TransportKind } from 'vscode-languageclient/node';
import { VmsdLogChannel } from './log-channel';
import { ServerStatus } from './status';

/**
 * The language client for the bundled server (dist/server.js, over IPC). Its id is `vmsd`,
 * so the library reads `vmsd.trace.server`; `vmsd.*` settings reach the server at start
 * (initializationOptions), on request (workspace/configuration) and on change
 * (didChangeConfiguration). Restart makes a new client, which also recovers from a failed
 * start.
 */
export class VmsdClient implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private stopping = false;
  private stateListener: vscode.Disposable | undefined;
  /** One watcher for every client a restart makes (the library does not dispose it). */
  private readonly watcher = vscode.workspace.createFileSystemWatcher('**/*.vmsd');

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: VmsdLogChannel,
    private readonly status: ServerStatus,
  ) {
    context.subscriptions.push(this.watcher);
  }

  /** The running client (or the one starting), for the preview and the stream viewer. */
  get current(): LanguageClient | undefined {
    return this.client;
  }

  async start(): Promise<void> {
    const client = this.create();
    this.client = client;
    this.status.setState('starting');
    try {
      await client.start();
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.status.setState('error', message);
      this.log.error(`vmsd: the language server did not start: ${message}`);
      throw e;
    }
  }

  async restart(): Promise<void> {
    await this.stop();
    this.log.info('vmsd: restarting the language server');
    await this.start();
  }

  async stop(): Promise<void> {
    const old = this.client;
    this.client = undefined;
    if (!old) return;
    this.stateListener?.dispose();
    this.stateListener = undefined;
    this.stopping = true;
    try {
      if (old.needsStop()) await old.stop();
    } catch (e) {
      this.log.warn(`vmsd: stopping the language server: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      this.stopping = false;
      await old.dispose().catch(() => undefined);
    }
  }

  private create(): LanguageClient {
    const module = this.context.asAbsolutePath('dist/server.js');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [
        { scheme: 'file', language: 'vmsd' },
        { scheme: 'untitled', language: 'vmsd' },
      ],
      synchronize: { fileEvents: this.watcher, configurationSection: 'vmsd' },
      // The extension contributes the declaration snippets (snippets/vmsd.json): the server
      // then leaves its own out of completion lists, so none shows twice.
      initializationOptions: () => ({ ...vmsdSettings(), clientSnippets: true }),
      outputChannel: this.log,
      // Trace lines go to the same channel; see log-channel.ts for `vmsd.trace.server`.
      traceOutputChannel: this.log,
    };
    const client = new LanguageClient('vmsd', 'VMSD', serverOptions, clientOptions);
    this.stateListener?.dispose();
    this.stateListener = client.onDidChangeState((e) => {
      if (this.client !== client) return;
      if (e.newState === State.Starting) this.status.setState('starting');
      else if (e.newState === State.Running) this.status.setState('ready');
      else if (e.newState === State.StartFailed) this.status.setState('error', 'The server failed to start: see the output');
      else if (e.newState === State.Stopped) this.status.setState(this.stopping ? 'stopped' : 'error', this.stopping ? undefined : 'The server stopped: see the output, then run "VMSD: Restart Language Server"');
    });
    return client;
  }

  dispose(): void {
    void this.stop();
  }
}

/** The `vmsd` settings of the first workspace folder, as the server reads them. */
export function vmsdSettings(): { compat: { baseline: string }; machine: string; preview: { format: string } } {
  const cfg = vscode.workspace.getConfiguration('vmsd', vscode.workspace.workspaceFolders?.[0]);
  return {
    compat: { baseline: cfg.get<string>('compat.baseline', '') },
    machine: cfg.get<string>('machine', ''),
    preview: { format: cfg.get<string>('preview.format', 'both') },
  };
}
