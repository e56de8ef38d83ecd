/** Byte helpers shared by the bodies Steady reads itself (fetch's responses, whole bodies, sinks). */

/** UTF-8 decode as fetch does (a leading BOM is dropped). */
export function utf8(bytes: Buffer): string {
  const bom = bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  return bytes.toString('utf8', bom ? 3 : 0);
}

/** The bytes in a `Uint8Array` of their own (not a view into a socket's or a pool's buffer). */
export function copyBytes(bytes: Buffer): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(bytes.length);
  out.set(bytes);
  return out;
}
