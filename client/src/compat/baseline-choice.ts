import * as path from 'node:path';

/**
 * "VMSD: Check Compatibility Against Baseline" asks what to compare with. This module is
 * the mapping from the user's choice to the `--baseline` argument of `vmsd check`, with
 * the meaning the language server gives the `vmsd.compat.baseline` setting
 * (server/src/lsp/compat.ts): `off`; empty for the merge-base of HEAD with its upstream
 * branch, else HEAD; a path relative to the workspace folder; anything else a git
 * revision. No `vscode` here: tests import it.
 */
export type BaselineChoiceKind = 'setting' | 'default' | 'revision' | 'folder' | 'file';

export interface BaselineChoice {
  kind: BaselineChoiceKind;
  label: string;
  description?: string;
  detail?: string;
}

/** `off` and `none` switch the live diagnostics off. */
export function settingIsOff(setting: string): boolean {
  const v = setting.trim();
  return v === 'off' || v === 'none';
}

/** The entries of the quick pick, the current setting first when it names a baseline. */
export function baselineChoices(setting: string): BaselineChoice[] {
  const v = setting.trim();
  const choices: BaselineChoice[] = [];
  if (v && !settingIsOff(v)) {
    choices.push({ kind: 'setting', label: `$(settings-gear) ${v}`, description: 'vmsd.compat.baseline', detail: 'The baseline of the live compatibility diagnostics' });
  }
  choices.push({
    kind: 'default',
    label: '$(git-merge) Merge-base with upstream, else HEAD',
    description: v ? undefined : 'vmsd.compat.baseline (default)',
    detail: 'The commit the current branch started from, read from git without a checkout',
  });
  choices.push({ kind: 'revision', label: '$(git-commit) A git revision…', detail: 'A tag, branch or commit: v7.2.0, origin/master, HEAD~3' });
  choices.push({ kind: 'folder', label: '$(folder) A folder of .vmsd files…', detail: 'The descriptions of an older version, checked out elsewhere' });
  choices.push({ kind: 'file', label: '$(file) A .vmsd file or a QEMU -dump-vmstate file…', detail: '.vmsd, or the JSON of qemu -dump-vmstate (.json, .json.gz)' });
  return choices;
}

export interface SpecContext {
  /** The workspace folder the check runs in. */
  folder: string;
  /** Whether a path exists (relative paths are taken from the folder). */
  exists(p: string): boolean;
}

/**
 * The `--baseline` argument for the setting's value, as the language server reads it:
 * undefined for the default (the caller asks git, see git-baseline.ts), null when off.
 */
export function specFromSetting(setting: string, ctx: SpecContext): string | undefined | null {
  const v = setting.trim();
  if (settingIsOff(v)) return null;
  if (!v) return undefined;
  if (v.startsWith('git:')) return v;
  if (ctx.exists(path.resolve(ctx.folder, v))) return v;
  return `git:${v}`;
}

/** What is wrong with a revision typed in, or undefined when it can be tried. */
export function validateRevision(input: string): string | undefined {
  const v = input.trim().replace(/^git:/, '');
  if (!v) return 'Type a tag, branch or commit';
  if (/\s/.test(v)) return 'A git revision has no spaces';
  if (v.startsWith('-')) return 'A git revision does not start with "-"';
  return undefined;
}

export function specFromRevision(input: string): string {
  return `git:${input.trim().replace(/^git:/, '')}`;
}

/**
 * A picked folder or file: relative to the workspace folder when inside it (how the
 * setting would say it), else absolute. `git:` paths would be read as revisions, so a
 * relative path that starts so gets `./`.
 */
export function specFromPath(picked: string, folder: string): string {
  const rel = path.relative(folder, picked);
  if (!rel) return '.';
  if (rel.startsWith('..') || path.isAbsolute(rel)) return picked;
  return rel.startsWith('git:') ? `.${path.sep}${rel}` : rel;
}
