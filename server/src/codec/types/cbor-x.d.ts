// cbor-x 1.6.8 ships ESM typings only (its exports name an index.d.cts it does not
// contain), which a CommonJS build cannot import. Its CommonJS entry works; these are
// the declarations of the part we use, mapped in by tsconfig.core.json "paths".
export interface Options {
  useRecords?: boolean;
  variableMapSize?: boolean;
  tagUint8Array?: boolean;
  mapsAsObjects?: boolean;
}
export class Encoder {
  constructor(options?: Options);
  encode(value: unknown): Uint8Array;
}
export function setSizeLimits(limits: { maxArraySize?: number; maxMapSize?: number; maxObjectSize?: number }): void;
export function decodeMultiple(data: Uint8Array): unknown[] | undefined;
