/**
 * What the status bar item says about the language server. No `vscode` here: tests
 * import it; status.ts puts it on the screen.
 */
export type ServerState = 'starting' | 'ready' | 'error' | 'stopped';

export interface StatusPresentation {
  text: string;
  tooltip: string;
  /** Drawn with the error background. */
  error: boolean;
}

const icons: Record<ServerState, string> = { starting: '$(sync~spin)', ready: '$(check)', error: '$(error)', stopped: '$(circle-slash)' };
const words: Record<ServerState, string> = {
  starting: 'starting',
  ready: 'ready',
  error: 'stopped after an error',
  stopped: 'stopped',
};

/** A git baseline's full commit id shortened as git does (`git:3f2a9c1`). */
export function shortBaseline(label: string): string {
  return label.replace(/^git:([0-9a-f]{12,40})(?=$|:)/, (_, sha: string) => `git:${sha.slice(0, 7)}`);
}

/**
 * The item's text and tooltip: the state as an icon, the compatibility baseline when it is
 * known (the server says which it loaded), the detail of an error in the tooltip.
 */
export function statusPresentation(state: ServerState, baseline?: string, detail?: string): StatusPresentation {
  const base = baseline ? ` · ${shortBaseline(baseline)}` : '';
  const lines = [`vmsd language server: ${words[state]}`];
  if (detail) lines.push(detail);
  lines.push(baseline ? `Compatibility baseline: ${baseline}` : 'Compatibility baseline: none loaded');
  lines.push('', 'Click to show the VMSD output');
  return { text: `${icons[state]} VMSD${base}`, tooltip: lines.join('\n'), error: state === 'error' };
}

/**
 * The baseline the server reports in its log (`vmsd: compatibility baseline LABEL`,
 * server/src/lsp/server.ts), or undefined for another line.
 */
export function baselineFromLog(line: string): string | undefined {
  const m = /^vmsd: compatibility baseline (\S.*)$/.exec(line.trim());
  return m ? m[1].trim() : undefined;
}

/** The baseline the setting names before the server says more: none for `off`, unknown for the default. */
export function baselineFromSetting(setting: string): string | undefined | null {
  const v = setting.trim();
  if (v === 'off' || v === 'none') return null;
  return v || undefined;
}
