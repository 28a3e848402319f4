import { execFile } from 'node:child_process';
import * as vscode from 'vscode';
import type { FileRef } from './findings-to-diagnostics';

/**
 * Files of a git baseline (what only the old side has: a deleted description, a removed
 * field) are not on disk. Their findings point at `vmsd-baseline:` documents, read-only,
 * whose text is `git show REV:PATH` in the workspace folder.
 */
export const BASELINE_SCHEME = 'vmsd-baseline';

export function fileUri(f: FileRef): vscode.Uri {
  if (f.kind === 'file') return vscode.Uri.file(f.path);
  // The path shows in Problems and tabs; the query says where to ask git.
  return vscode.Uri.from({ scheme: BASELINE_SCHEME, path: `/${f.rev}/${f.path}`, query: JSON.stringify({ rev: f.rev, path: f.path, cwd: f.cwd }) });
}

export function registerBaselineDocuments(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(BASELINE_SCHEME, {
    provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
      const q = JSON.parse(uri.query) as { rev: string; path: string; cwd: string };
      // Anything may open a URI of this scheme: git is asked only for a revision (never an
      // option) inside a workspace folder.
      const inWorkspace = (vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.fsPath === q.cwd);
      if (typeof q.rev !== 'string' || !q.rev || q.rev.startsWith('-') || typeof q.path !== 'string' || !inWorkspace) {
        return Promise.reject(new Error(`not a baseline file of this workspace: ${uri.toString()}`));
      }
      return new Promise((resolve, reject) => {
        execFile('git', ['show', `${q.rev}:${q.path}`], { cwd: q.cwd, maxBuffer: 64 << 20, windowsHide: true }, (err, stdout, stderr) => {
          if (err) reject(new Error(`git show ${q.rev}:${q.path}: ${String(stderr).trim() || err.message}`));
          else resolve(String(stdout));
        });
      });
    },
  });
}
