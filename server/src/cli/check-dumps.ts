import { compareDumps, DumpComparison, DumpInputError, findingLocation } from '../compat/dump-compare';
import { DumpShapeError, staticCheck } from '../compat/static-checker';
import { readDumpJson } from './inputs';
import type { Io } from './main';

// main.ts's exit codes (not imported: main loads this module).
const EXIT_OK = 0;
const EXIT_FINDINGS = 1;
const EXIT_USAGE = 2;

export interface CheckDumpsOptions {
  reverse?: boolean;
  format: 'text' | 'json' | 'static-checker';
}

/**
 * `vmsd check-dumps SRC DEST [--reverse] [--format text|json|static-checker]`: compare
 * two `-dump-vmstate` files (gzip accepted), SRC the QEMU migrated from and DEST the one
 * migrated to; `--reverse` swaps them. The first file is the old side, the second the
 * new: SRC → DEST is old→new, and new→old with `--reverse`.
 *
 * - `text` (the default): our own comparison (compat/dump-compare.ts: what is on the wire
 *   at the versions sent, rules VSnnn): notes, then one line per finding in the shape of
 *   `vmsd check`'s (the place, severity, rule, message, direction),
 *   `Section "X", Description "D", Field "F": error VS010 … (old→new)`, then
 *   `N errors, M warnings`. Exit 1 when there are errors, else 0.
 * - `json`: the same comparison as one JSON object (files, direction, findings with their
 *   paths, notes, counts); same exit status.
 * - `static-checker`: exactly what QEMU's scripts/vmstate-static-checker.py prints
 *   (compat/static-checker.ts), and its exit status: the number of errors, capped at 255.
 *
 * Unreadable files, invalid JSON and JSON that is not a dump exit 2, with the file named
 * on stderr (for `static-checker`, after what the script would have printed up to there).
 */
export function runCheckDumps(srcFile: string, destFile: string, opts: CheckDumpsOptions, io: Io): number {
  const src = readDumpJson(srcFile, io);
  if (src === undefined) return EXIT_USAGE;
  const dest = readDumpJson(destFile, io);
  if (dest === undefined) return EXIT_USAGE;
  const [from, to, fromFile, toFile] = opts.reverse ? [dest.value, src.value, destFile, srcFile] : [src.value, dest.value, srcFile, destFile];
  if (opts.format === 'static-checker') {
    try {
      const r = staticCheck(from, to);
      io.out(r.text);
      return r.errors;
    } catch (e) {
      if (!(e instanceof DumpShapeError)) throw e;
      // What the script had printed before it would have stopped.
      io.out(e.partial.text);
      io.err(`vmsd: ${e.side === 'src' ? fromFile : toFile}: ${e.message}\n`);
      return EXIT_USAGE;
    }
  }
  let r: DumpComparison;
  try {
    r = compareDumps(from, to, { direction: opts.reverse ? 'new→old' : 'old→new' });
  } catch (e) {
    if (!(e instanceof DumpInputError)) throw e;
    io.err(`vmsd: ${e.side === 'src' ? fromFile : toFile}: ${e.message}\n`);
    return EXIT_USAGE;
  }
  if (opts.format === 'json') {
    const json = {
      old: srcFile,
      new: destFile,
      src: fromFile,
      dest: toFile,
      direction: r.direction,
      findings: r.findings.map((f) => ({ ...f, location: findingLocation(f) })),
      notes: r.notes,
      errors: r.errors,
      warnings: r.warnings,
    };
    io.out(JSON.stringify(json, null, 2) + '\n');
  } else {
    const lines = [...r.notes.map((n) => `note: ${n}`), ...r.findings.map((f) => `${findingLocation(f)}: ${f.severity} ${f.rule} ${f.message}`)];
    const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`;
    lines.push(`${plural(r.errors, 'error')}, ${plural(r.warnings, 'warning')}`);
    io.out(lines.join('\n') + '\n');
  }
  return r.errors ? EXIT_FINDINGS : EXIT_OK;
}
