import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Diagnostic } from '../diagnostics/diagnostic';
import { Workspace } from '../semantic/workspace';
import { resolveRelative } from '../util/uri';

/** Node side of file handling: find .vmsd files, read them, follow includes on disk. */

export function toUri(file: string): string {
  return pathToFileURL(path.resolve(file)).href;
}

export function toPath(uri: string): string {
  return uri.startsWith('file:') ? fileURLToPath(uri) : uri;
}

/** Files larger than this are refused rather than read (a .vmsd file is text, not data). */
export const MAX_FILE_BYTES = 64 * 1024 * 1024;

export interface Loaded {
  workspace: Workspace;
  /** The files named (or found under the folders named) on the command line. */
  roots: string[];
  /** Host-level problems: unreadable paths, invalid UTF-8 (per URI, with a range). */
  problems: Array<{ path: string; message: string }>;
  extraDiagnostics: Map<string, Diagnostic[]>;
}

export function findVmsdFiles(paths: string[], problems: Array<{ path: string; message: string }>): string[] {
  const out: string[] = [];
  // Folders already walked, by real path: symlinked folders (`ln -s . loop`) are walked once.
  const walked = new Set<string>();
  const walk = (p: string, explicit: boolean) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(p);
    } catch (e) {
      problems.push({ path: p, message: (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : String((e as Error).message) });
      return;
    }
    if (st.isDirectory()) {
      const base = path.basename(p);
      if (!explicit && (base === 'node_modules' || base.startsWith('.'))) return;
      let real: string;
      try {
        real = fs.realpathSync(p);
      } catch {
        real = path.resolve(p);
      }
      if (walked.has(real)) return;
      walked.add(real);
      let entries: string[];
      try {
        entries = fs.readdirSync(p).sort();
      } catch (e) {
        problems.push({ path: p, message: String((e as Error).message) });
        return;
      }
      for (const e of entries) walk(path.join(p, e), false);
    } else if (explicit || p.endsWith('.vmsd')) {
      // The same file reached through several links is checked once, under its first name.
      let real: string;
      try {
        real = fs.realpathSync(p);
      } catch {
        real = path.resolve(p);
      }
      if (!walked.has(real)) {
        walked.add(real);
        out.push(path.resolve(p));
      }
    }
  };
  for (const p of paths) walk(p, true);
  return out;
}

/** Decode UTF-8; invalid sequences become U+FFFD and a VL002 diagnostic at the first one. */
export function decodeText(bytes: Uint8Array): { text: string; diagnostic?: Diagnostic } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
    const at = Math.max(0, text.indexOf('\uFFFD'));
    return {
      text,
      diagnostic: { code: 'VL002', severity: 'error', message: 'The file is not valid UTF-8; invalid bytes read as U+FFFD', start: at, end: at + 1 },
    };
  }
}

export function readSource(file: string): { text?: string; diagnostic?: Diagnostic; error?: string } {
  try {
    const st = fs.statSync(file);
    if (st.size > MAX_FILE_BYTES) return { error: `file is ${st.size} bytes; .vmsd files over ${MAX_FILE_BYTES} bytes are refused` };
    return decodeText(fs.readFileSync(file));
  } catch (e) {
    return { error: String((e as Error).message) };
  }
}

export function loadWorkspace(paths: string[]): Loaded {
  const problems: Array<{ path: string; message: string }> = [];
  const files = findVmsdFiles(paths, problems);
  const workspace = new Workspace();
  const extraDiagnostics = new Map<string, Diagnostic[]>();
  const roots: string[] = [];
  const queue: string[] = [];
  const add = (file: string, isRoot: boolean) => {
    const uri = toUri(file);
    if (isRoot) roots.push(uri);
    if (workspace.has(uri)) return;
    const r = readSource(file);
    if (r.error !== undefined) {
      if (isRoot) problems.push({ path: file, message: r.error });
      return;
    }
    workspace.set(uri, r.text!);
    if (r.diagnostic) extraDiagnostics.set(uri, [{ ...r.diagnostic, uri }]);
    queue.push(uri);
  };
  for (const f of files) add(f, true);
  // Follow includes to files outside the named paths, so every name resolves.
  while (queue.length) {
    const uri = queue.shift()!;
    for (const item of workspace.tree(uri)!.file.items) {
      if (item.kind !== 'Include' || !item.path) continue;
      const target = resolveRelative(uri, item.path.value);
      if (workspace.has(target) || !target.startsWith('file:')) continue;
      const p = toPath(target);
      if (fs.existsSync(p) && fs.statSync(p).isFile()) add(p, false);
    }
  }
  return { workspace, roots, problems, extraDiagnostics };
}
