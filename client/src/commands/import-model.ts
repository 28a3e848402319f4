import * as path from 'node:path';

/**
 * The pure part of the two import commands: the CLI arguments, where the files go by
 * default, what to open afterwards, and recognising "already exists" (answered by
 * offering to replace). No `vscode` here: tests import it.
 */
export type ImportKind = 'qemu-dump' | 'vmdesc';

export function importArgs(kind: ImportKind, input: string, output: string, force = false): string[] {
  return ['import', kind, input, '-o', output, ...(force ? ['--force'] : [])];
}

/** `pc-7.2.json.gz` → `pc-7.2`, `pc.mig` → `pc`: the name of the folder suggested for the import. */
export function importName(input: string): string {
  const base = path.basename(input).replace(/(\.json)?\.gz$/i, '').replace(/\.(json|mig|vmstate|bin|cbor)$/i, '');
  return base.replace(/[^\w.+-]+/g, '-').replace(/^-+|-+$/g, '') || 'imported';
}

/** The folder suggested for an import into the workspace folder: `vmstate-import/<name>`. */
export function suggestedOutput(input: string): string {
  return path.join('vmstate-import', importName(input));
}

/**
 * The file to open after an import: the first description file in name order, the
 * shared `common.vmsd` only when it is the only one.
 */
export function firstImportedFile(names: readonly string[]): string | undefined {
  const vmsd = names.filter((n) => n.endsWith('.vmsd')).sort((a, b) => a.localeCompare(b));
  return vmsd.find((n) => n !== 'common.vmsd') ?? vmsd[0];
}

/** The CLI refused because an earlier import's files are there (`use --force to replace`). */
export function refusedExisting(stderr: string): boolean {
  return /already exists?; use --force to replace/.test(stderr);
}
