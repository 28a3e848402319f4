import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from '../format/formatter';
import { findVmsdFiles, readSource } from '../host/files';
import { LineIndex } from '../util/lines';
import { parse } from '../syntax/parser';
import type { Io } from './main';

/**
 * `vmsd fmt [--check] PATH...`. Files with syntax errors are left untouched and reported
 * (exit 1); writes go through a temporary file and a rename, so an interrupted run never
 * leaves a half-written file.
 */
export function runFmt(paths: string[], opts: { check?: boolean }, io: Io): number {
  const problems: Array<{ path: string; message: string }> = [];
  const files = findVmsdFiles(paths, problems);
  for (const p of problems) io.err(`vmsd: ${p.path}: ${p.message}\n`);
  if (problems.length && files.length === 0) return 2;
  let exit = problems.length ? 2 : 0;
  for (const file of files) {
    const display = path.relative(process.cwd(), file) || file;
    const src = readSource(file);
    if (src.error !== undefined || src.diagnostic) {
      io.err(`vmsd: ${display}: ${src.error ?? src.diagnostic!.message}\n`);
      exit = Math.max(exit, src.error !== undefined ? 2 : 1);
      continue;
    }
    const text = src.text!;
    const tree = parse(text);
    const formatted = format(tree);
    if (formatted === undefined) {
      const first = tree.diagnostics.find((d) => d.severity === 'error')!;
      const p = new LineIndex(text).position(first.start);
      io.err(`${display}:${p.line + 1}:${p.character + 1}: not formatted: syntax error ${first.code} ${first.message}\n`);
      exit = Math.max(exit, 1);
      continue;
    }
    if (formatted === text) continue;
    if (opts.check) {
      io.out(`${display}: not formatted\n`);
      exit = Math.max(exit, 1);
      continue;
    }
    try {
      writeInPlace(file, formatted);
      io.out(`${display}: formatted\n`);
    } catch (e) {
      io.err(`vmsd: ${display}: ${(e as Error).message}\n`);
      exit = 2;
    }
  }
  return exit;
}

/**
 * Replace a file's content safely: through a symlink to its real file, keeping its mode,
 * refusing read-only files, via a temporary file in the same folder renamed over it (so
 * an interrupted run leaves the old or the new content, never half of one), and never
 * leaving the temporary file behind.
 */
function writeInPlace(file: string, content: string): void {
  const real = fs.realpathSync(file);
  const st = fs.statSync(real);
  fs.accessSync(real, fs.constants.W_OK);
  const tmp = path.join(path.dirname(real), `.${path.basename(real)}.vmsd-fmt-${process.pid}.tmp`);
  try {
    fs.writeFileSync(tmp, content, { mode: st.mode & 0o7777 });
    fs.chmodSync(tmp, st.mode & 0o7777);
    fs.renameSync(tmp, real);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
