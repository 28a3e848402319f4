/**
 * The preview panel's messages and the shapes of `vmsd/preview` results
 * (docs/lsp-extensions.md), shared by both sides: client/src/preview/panel.ts imports
 * them as types only.
 *
 * Extension → webview: `update` (a preview), `empty` (the cursor is in no description),
 * `failure` (a request failed: the message, the last preview stays), `busy`, `cursor`
 * (the declarations under the editor's cursor, innermost first).
 * Webview → extension: `ready`, `options` (version, machine, format, value, opaque
 * answers chosen in the panel), `reveal` (a declaration to show in the editor), `retry`.
 */

export type Format = 'qemu' | 'cbor';
export type FormatSetting = 'both' | Format;
export type EditKind = 'int' | 'bool' | 'f64' | 'enum' | 'hex';
export type JsonPath = Array<string | number>;

export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export interface Annotation {
  start: number;
  end: number;
  path: string;
  kind: 'field' | 'element' | 'unused' | 'subsection' | 'marker';
  type: string;
  value?: string;
  key?: { start: number; end: number };
  at?: JsonPath;
  source?: number;
  edit?: EditKind;
}

export interface Presence {
  path: string;
  kind: 'field' | 'subsection' | 'section';
  present: boolean;
  reason: 'always' | 'version' | 'test' | 'property' | 'opaque' | 'value';
  detail: string;
  at?: JsonPath;
  source?: number;
}

export interface Source {
  kind: 'description' | 'field' | 'subsection';
  name: string;
  uri: string;
  range: Range;
  nameRange: Range;
}

export interface PreviewResult {
  description: string;
  wireName: string;
  format: Format;
  version: number;
  versions: number[];
  machine: string | null;
  machines: string[];
  bytes: string;
  sizes: { qemu: number; cbor: number };
  annotations: Annotation[];
  annotationsTotal: number;
  value: unknown;
  presence: Presence[];
  sources: Source[];
  declaration: number;
  enums: Record<string, { base: string; members: Array<{ name: string; value: string }> }>;
  defaulted: string[];
  error?: { message: string; path?: string };
}

/** What the panel chose; the extension turns it into request params. */
export interface PreviewOptions {
  /** The description the options were chosen for: they are dropped when another one is previewed. */
  description: string;
  version?: number;
  machine?: string;
  format?: FormatSetting;
  /** The value param (JSON form); absent: the defaults. */
  value?: unknown;
  opaque?: Record<string, boolean>;
  /** The panel's edits behind `value` (kept by the extension, not sent to the server), restored with the description. */
  edits?: Array<{ at: JsonPath; path: string; json: unknown; text: string }>;
}

export interface PreviewView {
  uri: string;
  /** The document's file name, for the title. */
  file: string;
  /** What is shown: the panel's choice, else the `vmsd.preview.format` setting. */
  format: FormatSetting;
  /** `vmsd.machine` (empty: the server's default). */
  machineSetting: string;
  results: { qemu?: PreviewResult; cbor?: PreviewResult };
  /** The options the results were made with (undefined: none, the defaults). */
  options?: PreviewOptions;
  /** Annotations beyond what the panel fetches were left out. */
  truncated?: boolean;
}

export type ToWebview =
  | { kind: 'update'; view: PreviewView }
  | { kind: 'empty'; message: string; file?: string }
  | { kind: 'failure'; message: string }
  | { kind: 'busy'; busy: boolean }
  | { kind: 'cursor'; sources: number[] };

export type FromWebview =
  | { kind: 'ready' }
  | { kind: 'options'; options: PreviewOptions }
  | { kind: 'reveal'; source: number; focus: boolean }
  | { kind: 'retry' };
