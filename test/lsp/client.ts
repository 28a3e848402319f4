import * as cp from 'node:child_process';
import * as path from 'node:path';
import {
  createProtocolConnection,
  InitializeRequest,
  ProtocolConnection,
  PublishDiagnosticsNotification,
  PublishDiagnosticsParams,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';
import { repoRoot } from '../util/paths';

/** A real LSP client over stdio to the built server, for protocol tests and benchmarks. */
export interface TestClient {
  connection: ProtocolConnection;
  child: cp.ChildProcess;
  /** Resolves with the next publishDiagnostics for `uri` that satisfies `pred`. */
  diagnostics(uri: string, pred?: (p: PublishDiagnosticsParams) => boolean, timeoutMs?: number): Promise<PublishDiagnosticsParams>;
  stderr(): string;
  /** window/logMessage texts received. */
  logs(): string[];
  close(): Promise<void>;
}

export async function startClient(rootUri: string | null, capabilities: object = {}, env: Record<string, string> = {}, initializationOptions?: object): Promise<TestClient> {
  const child = cp.spawn(process.execPath, [path.join(repoRoot, 'bin', 'vmsd-language-server'), '--stdio'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  const waiters: Array<{ uri: string; pred: (p: PublishDiagnosticsParams) => boolean; resolve: (p: PublishDiagnosticsParams) => void }> = [];
  const seen: PublishDiagnosticsParams[] = [];
  const logs: string[] = [];
  connection.onNotification(PublishDiagnosticsNotification.type, (p) => {
    seen.push(p);
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].uri === p.uri && waiters[i].pred(p)) {
        waiters[i].resolve(p);
        waiters.splice(i, 1);
      }
    }
  });
  connection.onNotification('window/logMessage', (p: { message: string }) => {
    logs.push(p.message);
  });
  connection.listen();
  await connection.sendRequest(InitializeRequest.type, {
    processId: process.pid,
    rootUri,
    workspaceFolders: rootUri ? [{ uri: rootUri, name: 'ws' }] : null,
    capabilities,
    ...(initializationOptions ? { initializationOptions } : {}),
  });
  await connection.sendNotification('initialized', {});
  return {
    connection,
    child,
    stderr: () => stderr,
    logs: () => logs,
    diagnostics(uri, pred = () => true, timeoutMs = 10_000) {
      const earlier = seen.filter((p) => p.uri === uri && pred(p)).pop();
      if (earlier) {
        seen.splice(seen.indexOf(earlier), 1);
        return Promise.resolve(earlier);
      }
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no diagnostics for ${uri} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ uri, pred, resolve: (p) => (clearTimeout(timer), resolve(p)) });
      });
    },
    async close() {
      try {
        await connection.sendRequest('shutdown');
        await connection.sendNotification('exit');
      } catch {
        // already gone
      }
      connection.dispose();
      child.kill();
    },
  };
}
