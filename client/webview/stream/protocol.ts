/**
 * The migration stream viewer's messages (client/src/stream/editor.ts ↔ main.ts) and the
 * shape of the language server's `vmsd/decodeStream` result (docs/lsp-extensions.md),
 * as far as the viewer reads it. The webview asks for pages; the extension only adds the
 * stream's URI and forwards them to the server.
 */

export interface Position {
  line: number;
  character: number;
}

export interface DescriptionLocation {
  name: string;
  uri: string;
  range: { start: Position; end: Position };
}

export type SectionType = 'start' | 'part' | 'end' | 'full';

export interface SectionSummary {
  index: number;
  type: SectionType;
  id: number;
  idstr?: string;
  instance?: number;
  version?: number;
  /** The section data (after its header, before its footer); -1 in CBOR streams. */
  start: number;
  end: number;
  /** The whole record, header to footer; -1 in CBOR streams. */
  recordStart: number;
  recordEnd: number;
  decodedBy: 'description' | 'vmdesc' | 'ram' | null;
  description?: DescriptionLocation;
  annotations: number;
  ram?: { pages: number; zeroPages: number };
}

export type AnnotationKind = 'field' | 'element' | 'unused' | 'subsection' | 'marker';

export interface StreamAnnotation {
  start: number;
  end: number;
  path: string;
  kind: AnnotationKind;
  type: string;
  value?: string;
  section: number;
  index: number;
  parent: number;
  children: number;
  nth: number;
}

export interface RamSummary {
  blocks: Array<{ name: string; size: number | string; pages: number; zeroPages: number }>;
  pages: number;
  zeroPages: number;
}

export interface StreamHeader {
  machine: string | null;
  compatOf: string | null;
  capabilities: string[];
  configuration: string[];
  footers: boolean;
  vmdesc: boolean;
  vmdescDevices: number;
  eof: number;
  trailer: number;
}

export interface DecodeError {
  offset: number;
  path: string;
  message: string;
  section?: number;
}

/** JSON form of a section's value (docs/lsp-extensions.md). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface DecodeResult {
  file: string;
  size: number;
  format: 'qemu' | 'cbor';
  revision: number;
  decodedWith: 'descriptions' | 'vmdesc';
  header: StreamHeader | null;
  machines: string[];
  sections: SectionSummary[];
  sectionsPage: { offset: number; limit: number; total: number; filter: string | null };
  ram: RamSummary | null;
  commands: number;
  page: { offset: number; limit: number; total: number; section: number | null };
  annotations: StreamAnnotation[];
  types: Record<string, DescriptionLocation>;
  values: Array<{ section: number; value: JsonValue }>;
  bytes?: { start: number; end: number; hex: string; sections: SectionSummary[] };
  error?: DecodeError;
}

/** What the webview asks for; the extension adds the stream (`uri`). */
export interface DecodeParams {
  descriptionsFrom?: 'workspace' | 'none';
  machine?: string;
  values?: boolean;
  sections?: { offset?: number; limit?: number; filter?: string };
  page?: { offset?: number; limit?: number; section?: number; parent?: number; range?: { start: number; end: number } };
  bytes?: { start: number; length: number };
}

/** Extension → webview. */
export type FromExtension =
  | {
      kind: 'init';
      /** The stream's name, for the title. */
      fileName: string;
      /** The `vmsd.machine` setting for the stream's folder ('' when unset). */
      machineSetting: string;
    }
  /** The answer to a `decode` request: a result, or the server's error (code and message). */
  | { kind: 'decoded'; id: number; result?: DecodeResult; error?: { code: number; message: string } }
  /** Decode again: the workspace's descriptions, the stream file or the settings changed. */
  | { kind: 'refresh'; reason: 'descriptions' | 'file' | 'settings'; machineSetting: string };

/** Webview → extension. */
export type FromWebview =
  | { kind: 'ready' }
  | { kind: 'decode'; id: number; params: DecodeParams }
  /** Open a description's declaration. */
  | { kind: 'open'; location: DescriptionLocation };
