import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DumpFormatError, validDump } from '../interop/qemu-dump';
import { importQemuDump } from '../interop/qemu-dump-import';
import { Workspace } from '../semantic/workspace';
import { resolveRelative } from '../util/uri';
import { readDump } from './dumps';
import { decodeText, loadWorkspace, MAX_FILE_BYTES, toPath, toUri } from './files';

/**
 * The "old" side of a compatibility check: .vmsd files from a git revision (read without
 * a checkout), from another folder, or imported from a QEMU `-dump-vmstate` file.
 * Loading never throws for bad input: what went wrong is in `problems`.
 */
export interface Baseline {
  /** As the user wrote it: `git:HEAD~1`, `../old`, `dump-7.2.json.gz`. */
  label: string;
  kind: 'files' | 'git' | 'dump';
  workspace: Workspace;
  /** The baseline file that corresponds to a current file URI, and back (same relative path), when there is one. */
  toCurrent(baselineUri: string): string | undefined;
  /** How to show a baseline file in messages: for git `git:<rev>:<path relative to repo top>`, for files a path relative to cwd, for dumps `<dump file>` */
  display(baselineUri: string): string;
  /** Problems while loading (unreadable files, git errors) — never throws for bad input. */
  problems: Array<{ path: string; message: string }>;
}

export interface BaselineContext {
  cwd: string;
  /** the paths being checked (files/folders), as given on the command line */
  paths: string[];
}

type Problems = Array<{ path: string; message: string }>;

/** Listings (`git ls-tree`) of very large trees still fit. */
const MAX_LISTING_BYTES = 256 * 1024 * 1024;

export function loadBaseline(spec: string, ctx: BaselineContext): Baseline {
  if (spec.startsWith('git:')) return loadGit(spec, spec.slice('git:'.length), ctx);
  const file = path.resolve(ctx.cwd, spec);
  if (isDump(spec, file)) return loadDump(spec, file, ctx);
  return loadFiles(spec, file, ctx);
}

/**
 * For the editor default: the merge-base of HEAD with its upstream branch when there is
 * one, else HEAD; undefined outside a git repo or without commits.
 */
export function defaultGitBaseline(cwd: string): string | undefined {
  const upstream = git(cwd, ['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}']);
  if (upstream.ok) {
    const base = git(cwd, ['merge-base', 'HEAD', '@{upstream}']);
    // Unrelated histories have no merge-base: fall back to HEAD.
    if (base.ok && base.text.trim()) return `git:${base.text.trim()}`;
  }
  const head = git(cwd, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  return head.ok && head.text.trim() ? `git:${head.text.trim()}` : undefined;
}

// ---- git ----

interface GitResult {
  ok: boolean;
  stdout: Buffer;
  text: string;
  /** stderr's first line, or why git could not run. */
  error: string;
}

/** git with an argument array (no shell); never throws. */
function git(cwd: string, args: string[], opts: { input?: string; maxBuffer?: number } = {}): GitResult {
  const r = spawnSync('git', args, {
    cwd,
    input: opts.input,
    maxBuffer: opts.maxBuffer ?? MAX_LISTING_BYTES,
    windowsHide: true,
    // Pathspecs are file names, never globs or magic.
    env: { ...process.env, GIT_LITERAL_PATHSPECS: '1' },
  });
  const stdout = r.stdout ?? Buffer.alloc(0);
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    const error = code === 'ENOENT' ? (fs.existsSync(cwd) ? 'git is not installed (not found on PATH)' : `${cwd}: no such folder`) : code === 'ENOBUFS' ? 'git output is too large' : r.error.message;
    return { ok: false, stdout, text: '', error };
  }
  const stderr = (r.stderr ?? Buffer.alloc(0)).toString('utf8').trim();
  const error = stderr.split('\n').find((l) => l.startsWith('fatal:'))?.replace(/^fatal:\s*/, '') ?? stderr.split('\n')[0] ?? '';
  return { ok: r.status === 0, stdout, text: r.status === 0 ? stdout.toString('utf8') : '', error: error || `git exited with status ${r.status}` };
}

/** The real path of a file that may not exist (any more): its nearest existing ancestor's, plus the rest. */
function realish(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    const parent = path.dirname(p);
    return parent === p ? p : path.join(realish(parent), path.basename(p));
  }
}

interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  size: number;
  name: string;
}

/** `git ls-tree -l -z` output: `<mode> <type> <oid> <size>\t<name>\0`. */
function parseTree(out: Buffer): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const rec of out.toString('utf8').split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    const [mode, type, oid, size] = rec.slice(0, tab).trim().split(/\s+/);
    entries.push({ mode, type, oid, size: size === '-' ? 0 : Number(size), name: rec.slice(tab + 1) });
  }
  return entries;
}

/** Blobs by object id, read by one `git cat-file --batch` (not one process per file). */
function catBlobs(top: string, oids: string[], total: number): Map<string, Buffer> | { error: string } {
  const unique = [...new Set(oids)];
  const out = new Map<string, Buffer>();
  if (!unique.length) return out;
  const r = git(top, ['cat-file', '--batch'], { input: unique.join('\n') + '\n', maxBuffer: total + 128 * unique.length + 1024 * 1024 });
  if (!r.ok) return { error: r.error };
  const buf = r.stdout;
  let pos = 0;
  // Each answer: `<oid> <type> <size>\n<contents>\n`, or `<name> missing\n`.
  while (pos < buf.length) {
    const nl = buf.indexOf(0x0a, pos);
    if (nl < 0) break;
    const header = buf.toString('utf8', pos, nl).split(' ');
    pos = nl + 1;
    if (header.length !== 3) continue;
    const size = Number(header[2]);
    if (header[1] === 'blob') out.set(header[0], buf.subarray(pos, pos + size));
    pos += size + 1;
  }
  return out;
}

/** The folder of the first checked path that exists (a file's folder), else the current folder. */
function repositoryAnchor(ctx: BaselineContext): string {
  for (const p of ctx.paths) {
    const abs = path.resolve(ctx.cwd, p);
    try {
      return fs.statSync(abs).isDirectory() ? abs : path.dirname(abs);
    } catch {
      // not there (reported by the checker itself): try the next
    }
  }
  return path.resolve(ctx.cwd);
}

function loadGit(label: string, rev: string, ctx: BaselineContext): Baseline {
  const workspace = new Workspace();
  const problems: Problems = [];
  let logicalTop = path.resolve(ctx.cwd);
  const display = (uri: string) => {
    const rel = path.relative(logicalTop, toPath(uri));
    return rel.startsWith('..') || path.isAbsolute(rel) ? toPath(uri) : `git:${rev}:${rel.split(path.sep).join('/')}`;
  };
  const baseline: Baseline = { label, kind: 'git', workspace, problems, display, toCurrent: (uri) => uri };

  // The repository of the files checked (`vmsd check ~/qemu/hw --baseline git:v8.0` from
  // anywhere), else of the current folder.
  const anchor = repositoryAnchor(ctx);
  const topR = git(anchor, ['rev-parse', '--show-toplevel']);
  if (!topR.ok) {
    problems.push({ path: label, message: /not a git repository/i.test(topR.error) ? `${anchor} is not in a git repository` : topR.error });
    return baseline;
  }
  const top = realish(topR.text.trim());
  // URIs as the working tree's files have them, seen from there (which may be reached through a link).
  logicalTop = path.resolve(anchor, path.relative(realish(path.resolve(anchor)), top));
  // A leading `-` would be read as an option.
  const sha = rev && !rev.startsWith('-') ? git(top, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]) : undefined;
  if (!sha?.ok || !sha.text.trim()) {
    problems.push({ path: label, message: rev ? 'unknown revision' : 'no revision after `git:`' });
    return baseline;
  }
  const commit = sha.text.trim();

  // The checked paths, relative to the top; '' is the top itself.
  const rels: string[] = [];
  for (const p of ctx.paths.length ? ctx.paths : ['.']) {
    const rel = path.relative(top, realish(path.resolve(ctx.cwd, p)));
    if (rel.startsWith('..') || path.isAbsolute(rel)) problems.push({ path: p, message: `outside the git repository ${top}` });
    else rels.push(rel.split(path.sep).join('/'));
  }
  if (!rels.length) return baseline;

  // The top itself named: the whole tree, with no paths.
  const listing = git(top, ['ls-tree', '-r', '-l', '-z', '--full-tree', commit, '--', ...(rels.includes('') ? [] : rels)]);
  if (!listing.ok) {
    problems.push({ path: label, message: listing.error });
    return baseline;
  }
  // What findVmsdFiles would find on disk: a named file as it is, .vmsd files under a named
  // folder, skipping node_modules and dot folders below it.
  const chosen = (name: string) =>
    rels.some((rel) => {
      if (name === rel) return true;
      if (rel && !name.startsWith(rel + '/')) return false;
      const below = (rel ? name.slice(rel.length + 1) : name).split('/');
      return name.endsWith('.vmsd') && !below.slice(0, -1).some((seg) => seg === 'node_modules' || seg.startsWith('.'));
    });
  let round = parseTree(listing.stdout).filter((e) => chosen(e.name));
  const seen = new Set<string>();
  const uriOf = (name: string) => toUri(path.join(logicalTop, ...name.split('/')));

  // Round by round: the files, then the files they include that are not loaded yet
  // (as loadWorkspace follows includes on disk); one ls-tree and one cat-file per round.
  while (round.length) {
    const wanted: TreeEntry[] = [];
    for (const e of round) {
      if (seen.has(e.name)) continue;
      seen.add(e.name);
      if (e.mode === '120000') problems.push({ path: `git:${rev}:${e.name}`, message: 'a symbolic link; baselines from git do not follow links' });
      else if (e.type !== 'blob') continue; // submodules, folders
      else if (e.size > MAX_FILE_BYTES) problems.push({ path: `git:${rev}:${e.name}`, message: `file is ${e.size} bytes; .vmsd files over ${MAX_FILE_BYTES} bytes are refused` });
      else wanted.push(e);
    }
    const blobs = catBlobs(top, wanted.map((e) => e.oid), wanted.reduce((n, e) => n + e.size, 0));
    if ('error' in blobs) {
      problems.push({ path: label, message: blobs.error });
      return baseline;
    }
    const added: string[] = [];
    for (const e of wanted) {
      const bytes = blobs.get(e.oid);
      if (!bytes) {
        problems.push({ path: `git:${rev}:${e.name}`, message: 'git could not read the file' });
        continue;
      }
      const uri = uriOf(e.name);
      const { text, diagnostic } = decodeText(bytes);
      if (diagnostic) problems.push({ path: `git:${rev}:${e.name}`, message: diagnostic.message });
      workspace.set(uri, text);
      added.push(uri);
    }
    const includes = new Set<string>();
    for (const uri of added) {
      for (const item of workspace.tree(uri)!.file.items) {
        if (item.kind !== 'Include' || !item.path) continue;
        const target = resolveRelative(uri, item.path.value);
        if (workspace.has(target) || !target.startsWith('file:')) continue;
        const rel = path.relative(logicalTop, toPath(target));
        if (rel.startsWith('..') || path.isAbsolute(rel)) continue; // outside the repository: not in the revision
        const name = rel.split(path.sep).join('/');
        if (!seen.has(name)) includes.add(name);
      }
    }
    if (!includes.size) break;
    // Without -r: an include naming a folder lists as a tree, which is skipped.
    const more = git(top, ['ls-tree', '-l', '-z', '--full-tree', commit, '--', ...includes]);
    round = more.ok ? parseTree(more.stdout).filter((e) => includes.has(e.name)) : [];
  }
  return baseline;
}

// ---- dumps ----

/** A `-dump-vmstate` file: named .json(.gz), or any other non-.vmsd file that is gzip or starts with `{`. */
function isDump(spec: string, file: string): boolean {
  if (/\.json(\.gz)?$/i.test(spec)) return true;
  if (file.endsWith('.vmsd')) return false;
  let fd: number | undefined;
  try {
    if (!fs.statSync(file).isFile()) return false;
    fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    if (n >= 2 && head[0] === 0x1f && head[1] === 0x8b) return true;
    return head.toString('utf8', 0, n).replace(/^\uFEFF/, '').trimStart().startsWith('{');
  } catch {
    return false;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function loadDump(label: string, file: string, ctx: BaselineContext): Baseline {
  const workspace = new Workspace();
  const problems: Problems = [];
  const shown = path.relative(ctx.cwd, file) || file;
  // The imported files live in a folder beside the dump that is never written: includes
  // between them (`include "common.vmsd"`) resolve as they would after `vmsd import`.
  const folder = file + '.vmsd-import';
  const folderUri = toUri(folder) + '/';
  const display = (uri: string) => (uri.startsWith(folderUri) ? `${shown}#${uri.slice(folderUri.length)}` : toPath(uri));
  const baseline: Baseline = { label, kind: 'dump', workspace, problems, display, toCurrent: () => undefined };

  const read = readDump(file);
  if ('error' in read) {
    problems.push({ path: label, message: read.error });
    return baseline;
  }
  try {
    const result = importQemuDump(validDump(read.value), path.basename(file));
    for (const f of result.files) workspace.set(toUri(path.join(folder, f.name)), f.text);
  } catch (e) {
    // A dump of the wrong shape, or an importer bug: either way the baseline is unusable, not the run.
    problems.push({ path: label, message: e instanceof DumpFormatError ? e.message : `the import failed: ${(e as Error).message}` });
  }
  return baseline;
}

// ---- files ----

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function loadFiles(label: string, file: string, ctx: BaselineContext): Baseline {
  const loaded = loadWorkspace([file]);
  const rel = (p: string) => (path.isAbsolute(p) ? path.relative(ctx.cwd, p) || p : p);
  const display = (uri: string) => rel(toPath(uri));
  const problems: Problems = loaded.problems.map((p) => ({ path: p.path === file ? label : rel(p.path), message: p.message }));
  for (const [uri, ds] of loaded.extraDiagnostics) for (const d of ds) problems.push({ path: display(uri), message: d.message });

  // Which folder of the baseline stands for which current folder: a folder for the one
  // folder being checked, a file for the one file being checked (its neighbours, which
  // it includes, by their folders); otherwise the baseline stands for cwd.
  const current = (ctx.paths.length ? ctx.paths : ['.']).map((p) => path.resolve(ctx.cwd, p));
  const single = current.length === 1 ? current[0] : undefined;
  const singleDir = single !== undefined && isDirectory(single) ? single : undefined;
  let baseRoot = file;
  let curRoot = singleDir ?? path.resolve(ctx.cwd);
  let pair: [string, string] | undefined;
  if (!isDirectory(file)) {
    baseRoot = path.dirname(file);
    if (single !== undefined && singleDir === undefined) {
      pair = [file, single];
      curRoot = path.dirname(single);
    }
  }
  const toCurrent = (uri: string): string | undefined => {
    if (!uri.startsWith('file:')) return undefined;
    const p = toPath(uri);
    if (pair && p === pair[0]) return toUri(pair[1]);
    return toUri(path.join(curRoot, path.relative(baseRoot, p)));
  };
  return { label, kind: 'files', workspace: loaded.workspace, problems, display, toCurrent };
}
