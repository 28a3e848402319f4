import { CODES, CodeInfo } from '../diagnostics/codes';
import { Diagnostic, Severity } from '../diagnostics/diagnostic';
import { CompatResult, Finding, SideName, Verdict } from './findings';
import { Direction, isRuleId, RuleId, RULES, ruleAnchor } from './rules';
import { directionSuffix } from './report';

/**
 * The compatibility report as a SARIF 2.1.0 log (OASIS Static Analysis Results
 * Interchange Format), for code-scanning dashboards and review tools.
 *
 * One run: the driver lists every compatibility rule (VSnnn) and the language codes
 * (VLnnn) that occur; each finding and diagnostic is a result; suppressed findings are
 * results with `suppressions`; the verdict matrix rides along in the run's property bag,
 * so the SARIF log carries what `--format json` carries. The output is deterministic (no
 * timestamps, no GUIDs, input order kept): the same input gives the same log.
 *
 * Part of the core: no Node module, no package. The few SARIF shapes are declared here
 * (a test checks them against the published typings and the schema).
 */

// ---------------------------------------------------------------------------------------
// The SARIF subset written here (names as in the SARIF 2.1.0 specification)

export type SarifLevel = 'none' | 'note' | 'warning' | 'error';

export interface SarifMessage {
  text: string;
}

export interface SarifRegion {
  startLine: number;
  startColumn: number;
  endLine: number;
  /** One past the last character (SARIF columns are 1-based, the end exclusive). */
  endColumn: number;
}

export interface SarifArtifactLocation {
  uri: string;
  uriBaseId?: string;
}

export interface SarifLocation {
  id?: number;
  physicalLocation: { artifactLocation: SarifArtifactLocation; region: SarifRegion };
  message?: SarifMessage;
}

export interface SarifSuppression {
  kind: 'inSource' | 'external';
  justification?: string;
}

export interface SarifReportingDescriptor {
  id: string;
  name?: string;
  shortDescription: SarifMessage;
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties?: Record<string, unknown>;
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: SarifLevel;
  message: SarifMessage;
  locations?: SarifLocation[];
  relatedLocations?: SarifLocation[];
  partialFingerprints?: Record<string, string>;
  suppressions?: SarifSuppression[];
  properties?: Record<string, unknown>;
}

export interface SarifRun {
  tool: {
    driver: {
      name: string;
      informationUri?: string;
      version: string;
      semanticVersion: string;
      rules: SarifReportingDescriptor[];
    };
  };
  invocations: Array<{ executionSuccessful: boolean }>;
  originalUriBaseIds?: Record<string, { uri: string; description?: SarifMessage }>;
  columnKind: 'utf16CodeUnits';
  results: SarifResult[];
  properties: { matrix: SarifMatrixCell[] };
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: [SarifRun];
}

/** A verdict-matrix cell as carried in `runs[0].properties.matrix`. */
export interface SarifMatrixCell {
  baseline: string;
  description: string;
  machine: string;
  direction: Direction;
  verdict: Verdict;
  reasons: string[];
}

// ---------------------------------------------------------------------------------------
// Input

/** A place handed to `locate`: a range of UTF-16 offsets in a file of one side. */
export interface SarifPlace {
  side: SideName;
  uri: string;
  start: number;
  end: number;
  /** The baseline label, for places of a finding (a baseline-side place lives in that baseline). */
  baseline?: string;
}

/** Where a place is in SARIF terms. */
export interface SarifPosition {
  /** A URI reference: relative to `uriBaseId` when set (e.g. `hw/net/e1000.vmsd`), else absolute. */
  uri: string;
  uriBaseId?: string;
  /** 1-based; columns count UTF-16 code units (the run declares `columnKind: utf16CodeUnits`). */
  startLine: number;
  startColumn: number;
  endLine: number;
  /** One past the last character. */
  endColumn: number;
}

export interface SarifInput {
  toolVersion: string;
  /** Language diagnostics (VLnnn) of the checked files, with uri set. */
  diagnostics: Diagnostic[];
  /** One result per baseline. */
  results: CompatResult[];
  /** Artifact location for a place: relative path (uri-reference) + optional uriBaseId, and 1-based line/column for an offset. */
  locate(place: SarifPlace): SarifPosition;
  /** Suppressed findings (inline `vmsd-ignore` or acknowledged), reported as SARIF suppressions. */
  suppressed?: Array<{ finding: Finding; kind: 'inSource' | 'external'; justification: string }>;
  /** Where the rule docs live, for helpUri: e.g. 'https://…/docs/compatibility.md' (anchor appended). Optional. */
  docsBase?: string;
  /** The tool's home page (driver.informationUri); defaults to `docsBase`. An absolute URI. */
  informationUri?: string;
  /** The absolute URIs that `uriBaseId`s returned by `locate` stand for (run.originalUriBaseIds), e.g. `{ SRCROOT: 'file:///src/' }`. */
  uriBaseIds?: Record<string, string>;
}

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The partialFingerprints key: rule, subject and directions identify a finding across runs. */
export const FINGERPRINT_KEY = 'vmsd/v1';

/** SARIF has no "info" or "hint": both are notes. */
export function sarifLevel(severity: Severity): SarifLevel {
  switch (severity) {
    case 'error':
      return 'error';
    case 'warning':
      return 'warning';
    case 'info':
    case 'hint':
      return 'note';
  }
}

/** A finding's message with the directions it breaks, as every renderer prints it: `… (old→new, new→old)`. */
export function messageWithDirections(message: string, directions: readonly Direction[]): string {
  return message + directionSuffix(directions);
}

// ---------------------------------------------------------------------------------------

export function toSarif(input: SarifInput): SarifLog {
  const rules: SarifReportingDescriptor[] = [];
  const ruleIndex = new Map<string, number>();
  const addRule = (r: SarifReportingDescriptor) => {
    ruleIndex.set(r.id, rules.length);
    rules.push(r);
  };

  for (const id of Object.keys(RULES) as RuleId[]) {
    const info = RULES[id];
    const rule: SarifReportingDescriptor = {
      id,
      name: info.name,
      shortDescription: { text: info.summary },
      defaultConfiguration: { level: sarifLevel(info.severity) },
      properties: { category: info.category, directions: [...info.directions] },
    };
    if (input.docsBase) rule.helpUri = `${input.docsBase}#${ruleAnchor(id)}`;
    addRule(rule);
  }
  // The language codes that occur (not every VL code: they are not what this run checks for).
  const codes = [...new Set(input.diagnostics.map((d) => d.code))].filter((c) => !ruleIndex.has(c)).sort();
  const known: Record<string, CodeInfo> = CODES;
  for (const code of codes) {
    const info = Object.prototype.hasOwnProperty.call(known, code) ? known[code] : undefined;
    addRule({
      id: code,
      shortDescription: { text: info?.title ?? code },
      defaultConfiguration: { level: sarifLevel(info?.severity ?? 'error') },
    });
  }

  const location = (place: SarifPlace, message?: string, id?: number): SarifLocation => {
    const p = input.locate(place);
    const artifactLocation: SarifArtifactLocation = { uri: p.uri };
    if (p.uriBaseId !== undefined) artifactLocation.uriBaseId = p.uriBaseId;
    const loc: SarifLocation = {
      physicalLocation: {
        artifactLocation,
        region: { startLine: p.startLine, startColumn: p.startColumn, endLine: p.endLine, endColumn: p.endColumn },
      },
    };
    if (id !== undefined) loc.id = id;
    if (message !== undefined) loc.message = { text: message };
    return loc;
  };

  const results: SarifResult[] = [];

  for (const d of input.diagnostics) {
    const r: SarifResult = {
      ruleId: d.code,
      ruleIndex: ruleIndex.get(d.code)!,
      level: sarifLevel(d.severity),
      message: { text: d.message },
    };
    if (d.uri !== undefined) r.locations = [location({ side: 'current', uri: d.uri, start: d.start, end: d.end })];
    if (d.related?.length) r.relatedLocations = d.related.map((x, i) => location({ side: 'current', uri: x.uri, start: x.start, end: x.end }, x.message, i + 1));
    results.push(r);
  }

  // When the caller reports suppressions, the others are known to have none (`[]`), not unknown.
  const suppressionsKnown = input.suppressed !== undefined;
  const findingResult = (f: Finding, suppressions: SarifSuppression[] | undefined): SarifResult => {
    if (!isRuleId(f.rule)) throw new Error(`unknown compatibility rule ${String(f.rule)}`);
    const r: SarifResult = {
      ruleId: f.rule,
      ruleIndex: ruleIndex.get(f.rule)!,
      level: sarifLevel(f.severity),
      message: { text: messageWithDirections(f.message, f.directions) },
      locations: [location({ ...placeOf(f.place), baseline: f.baseline })],
    };
    if (f.related.length) r.relatedLocations = f.related.map((x, i) => location({ ...placeOf(x), baseline: f.baseline }, x.message, i + 1));
    r.partialFingerprints = { [FINGERPRINT_KEY]: `${f.rule}|${f.subject}|${f.directions.join(',')}` };
    if (suppressions) r.suppressions = suppressions;
    const properties: Record<string, unknown> = { directions: [...f.directions] };
    if (f.machines !== undefined) properties.machines = [...f.machines];
    properties.baseline = f.baseline;
    properties.subject = f.subject;
    r.properties = properties;
    return r;
  };

  for (const result of input.results) {
    for (const f of result.findings) results.push(findingResult(f, suppressionsKnown ? [] : undefined));
  }
  for (const s of input.suppressed ?? []) {
    const suppression: SarifSuppression = { kind: s.kind };
    if (s.justification) suppression.justification = s.justification;
    results.push(findingResult(s.finding, [suppression]));
  }

  const matrix: SarifMatrixCell[] = [];
  for (const result of input.results) {
    for (const c of result.matrix) {
      matrix.push({ baseline: result.baseline, description: c.description, machine: c.machine, direction: c.direction, verdict: c.verdict, reasons: [...c.reasons] });
    }
  }

  const driver: SarifRun['tool']['driver'] = { name: 'vmsd', version: input.toolVersion, semanticVersion: input.toolVersion, rules };
  const informationUri = input.informationUri ?? input.docsBase;
  if (informationUri) driver.informationUri = informationUri;
  const run: SarifRun = {
    tool: { driver },
    invocations: [{ executionSuccessful: true }],
    columnKind: 'utf16CodeUnits',
    results,
    properties: { matrix },
  };
  if (input.uriBaseIds && Object.keys(input.uriBaseIds).length) {
    run.originalUriBaseIds = {};
    for (const id of Object.keys(input.uriBaseIds).sort()) run.originalUriBaseIds[id] = { uri: input.uriBaseIds[id] };
  }
  return { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] };
}

function placeOf(p: { side: SideName; uri: string; start: number; end: number }): SarifPlace {
  return { side: p.side, uri: p.uri, start: p.start, end: p.end };
}
