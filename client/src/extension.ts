import * as vscode from 'vscode';
import { LanguageClient, LanguageClientOptions, ServerOptions, TransportKind } from 'vscode-languageclient/node';

/**
 * The VS Code side: starts vmsd-language-server over IPC for .vmsd files. Everything the
 * editor shows comes from the server; this file only wires it.
 */
let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const module = context.asAbsolutePath('out/server/src/node.js');
  const serverOptions: ServerOptions = {
    run: { module, transport: TransportKind.ipc },
    debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: 'file', language: 'vmsd' }, { scheme: 'untitled', language: 'vmsd' }],
    // The server reads `vmsd.*` settings (vmsd.compat.baseline) and is told when they change.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.vmsd'), configurationSection: 'vmsd' },
  };
  client = new LanguageClient('vmsd', 'VMSD', serverOptions, clientOptions);
  await client.start();
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
