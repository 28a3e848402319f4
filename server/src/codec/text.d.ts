// TextEncoder/TextDecoder exist in every runtime the core targets (browsers, Node); the
// core compiles without DOM or Node typings, so declare the little it uses.
declare class TextEncoder {
  encode(input?: string): Uint8Array;
}
declare class TextDecoder {
  constructor(label?: string, options?: { fatal?: boolean });
  decode(input?: Uint8Array): string;
}
