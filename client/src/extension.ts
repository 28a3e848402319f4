import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { registerBaselineDocuments } from './compat/baseline-documents';
import { checkCompatibility } from './compat/check-command';
import { CommandContext, registerGuarded } from './commands/common';
import { importDescriptions } from './commands/import';
import { VmsdClient } from './language-client';
import { VmsdLogChannel } from './log-channel';
import { registerPreview } from './preview/panel';
import { ServerStatus } from './status';
import { registerStreamViewer } from './stream/editor';

/**
 * The VS Code side of vmsd. Everything the editor shows about `.vmsd` files comes from the
 * language server (dist/server.js, started over IPC by language-client.ts); this file
 * wires it with the status bar item, the output channel and the commands: restart,
 * compatibility check with its matrix, imports, the preview and the stream viewer.
 */
let vmsd: VmsdClient | undefined;

/** The language client while it runs (or starts); undefined before activation and after a failed start. */
export function getClient(): LanguageClient | undefined {
  return vmsd?.current;
}

export async function activate(context: vscode.ExtensionContext): Promise<{ getClient: typeof getClient }> {
  const status = new ServerStatus();
  const log = new VmsdLogChannel(vscode.window.createOutputChannel('VMSD', { log: true }), (label) => status.setBaseline(label));
  const client = new VmsdClient(context, log, status);
  vmsd = client;
  const ctx: CommandContext = { extension: context, log };
  const compat = vscode.languages.createDiagnosticCollection('vmsd-compat');
  context.subscriptions.push(
    log,
    status,
    client,
    compat,
    registerBaselineDocuments(),
    registerGuarded(ctx, 'vmsd.restartServer', () => client.restart()),
    registerGuarded(ctx, 'vmsd.showOutput', async () => log.show()),
    registerGuarded(ctx, 'vmsd.checkCompatibility', () => checkCompatibility(ctx, compat)),
    registerGuarded(ctx, 'vmsd.importDump', (uri) => importDescriptions(ctx, 'qemu-dump', uri)),
    registerGuarded(ctx, 'vmsd.importStream', (uri) => importDescriptions(ctx, 'vmdesc', uri)),
  );
  registerPreview(context, getClient);
  registerStreamViewer(context, getClient);

  // Not awaited: activation returns at once; a failed start shows in the status bar and the output.
  client.start().catch((e: unknown) => {
    void vscode.window.showErrorMessage(`VMSD: the language server did not start: ${e instanceof Error ? e.message : String(e)}`, 'Show Output').then((a) => {
      if (a === 'Show Output') log.show(true);
    });
  });
  return { getClient };
}

export async function deactivate(): Promise<void> {
  await vmsd?.stop();
  vmsd = undefined;
}
