/**
 * The file magic of the self-describing stream (docs/cf-format.md), apart from the CBOR
 * codec: telling the two formats apart must not cost loading cbor-x (a fifth of a short
 * `vmsd decode`).
 */
export const CF_FORMAT = 'vmsd-cf';
export const CF_VERSION = '0.1.0';
/** Tag 55799 on the first item: "this is CBOR" (RFC 8949 §3.4.6), our file magic. */
export const CF_MAGIC: readonly number[] = [0xd9, 0xd9, 0xf7];

export function isCf(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && CF_MAGIC.every((b, i) => bytes[i] === b);
}
