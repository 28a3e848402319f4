import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultGitBaseline, loadBaseline } from '../host/baselines';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node';
import { findVmsdFiles, readSource, toPath, toUri } from '../host/files';
import { ServerHost, startServer } from './server';

/** The language server's view of the disk. */
export const nodeServerHost: ServerHost = {
  listFiles(folderUri: string): string[] {
    if (!folderUri.startsWith('file:')) return [];
    const root = toPath(folderUri);
    if (!fs.existsSync(root)) return [];
    return findVmsdFiles([root], []).map(toUri);
  },
  readFile(uri: string): string | undefined {
    if (!uri.startsWith('file:')) return undefined;
    const r = readSource(toPath(uri));
    return r.error === undefined ? r.text : undefined;
  },
  baselines: {
    load(spec: string, folderUri: string) {
      return loadBaseline(spec, { cwd: toPath(folderUri), paths: ['.'] });
    },
    defaultSpec(folderUri: string) {
      return folderUri.startsWith('file:') ? defaultGitBaseline(toPath(folderUri)) : undefined;
    },
    isPath(value: string, folderUri: string) {
      return folderUri.startsWith('file:') && fs.existsSync(path.resolve(toPath(folderUri), value));
    },
  },
};

/** The Node transport: stdio, IPC or a socket, chosen from the command line. */
export function runNodeServer(): void {
  startServer(createConnection(ProposedFeatures.all), nodeServerHost);
}
