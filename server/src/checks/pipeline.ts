import { compareDiagnostics, Diagnostic } from '../diagnostics/diagnostic';
import { Analysis } from '../semantic/analyzer';

/**
 * The diagnostics pipeline: rule sets run over an analysis and their findings are merged
 * per file. The language rules (syntax and semantics, VLnnn) are the first set; the
 * compatibility rules (VSnnn, against a baseline) slot in beside them with their own
 * options, and suppressions apply to all.
 */
export interface RuleSet {
  /** Stable id, shown in logs (`language`, `compat`). */
  readonly id: string;
  /** Findings for the given files of the analysis (all files when undefined). */
  run(analysis: Analysis, uris: readonly string[]): Diagnostic[];
}

/** Syntax and semantic diagnostics, already computed by the analysis. */
export const languageRules: RuleSet = {
  id: 'language',
  run(analysis, uris) {
    const out: Diagnostic[] = [];
    for (const uri of uris) out.push(...(analysis.diagnostics.get(uri) ?? []));
    return out;
  },
};

export function runRuleSets(analysis: Analysis, uris: readonly string[], sets: readonly RuleSet[] = [languageRules]): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const set of sets) out.push(...set.run(analysis, uris));
  return out.sort(compareDiagnostics);
}
