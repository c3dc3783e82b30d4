import { gunzipSync } from 'node:zlib';

/** A decoded IDX file of unsigned bytes: its dimensions and its values in row-major order. */
export interface IdxArray {
  /** Dimension sizes, outermost first (e.g. `[60000, 28, 28]`). */
  readonly shape: readonly number[];
  /** The values, `shape.reduce(*)` bytes. */
  readonly data: Uint8Array;
}

/** IDX type code of unsigned bytes, the only one Fashion-MNIST uses. */
const UNSIGNED_BYTE = 0x08;

/** True when the bytes start with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an IDX file (gzip-compressed or plain) of unsigned bytes.
 *
 * Refuses, with an error naming `source`: a bad magic number (two zero bytes, type 0x08, a dimension count of
 * 1 to 4), a zero dimension, and a length that does not match the header exactly (truncated or trailing data).
 */
export function parseIdx(raw: Uint8Array, source = 'IDX data'): IdxArray {
  let bytes: Uint8Array;
  try {
    bytes = isGzip(raw) ? new Uint8Array(gunzipSync(raw)) : raw;
  } catch (error) {
    throw new Error(`${source}: corrupt gzip stream (${(error as Error).message})`);
  }
  if (bytes.length < 4) throw new Error(`${source}: too short for an IDX header (${bytes.length} bytes)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${source}: bad IDX magic number (first two bytes must be 0)`);
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    throw new Error(`${source}: IDX type 0x${bytes[2]!.toString(16)} is not unsigned byte (0x08)`);
  }
  const rank = bytes[3]!;
  if (rank < 1 || rank > 4) throw new Error(`${source}: IDX dimension count ${rank} is not in [1, 4]`);
  const headerLength = 4 + 4 * rank;
  if (bytes.length < headerLength) throw new Error(`${source}: truncated IDX header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  let size = 1;
  for (let i = 0; i < rank; i += 1) {
    const dimension = view.getUint32(4 + 4 * i, false);
    if (dimension === 0) throw new Error(`${source}: IDX dimension ${i} is 0`);
    shape.push(dimension);
    size *= dimension;
  }
  const expected = headerLength + size;
  if (bytes.length !== expected) {
    throw new Error(
      `${source}: IDX length ${bytes.length} bytes does not match its header (${expected} bytes for shape [${shape.join(', ')}])`,
    );
  }
  return { shape, data: bytes.subarray(headerLength) };
}

/** Encodes unsigned bytes as an IDX file (plain); used to write test fixtures and caches. */
export function encodeIdx(shape: readonly number[], data: Uint8Array): Uint8Array {
  const size = shape.reduce((a, b) => a * b, 1);
  if (shape.length < 1 || shape.length > 4) throw new RangeError('shape must have 1 to 4 dimensions');
  if (data.length !== size) throw new RangeError(`data has ${data.length} values, shape needs ${size}`);
  const out = new Uint8Array(4 + 4 * shape.length + size);
  const view = new DataView(out.buffer);
  out[2] = UNSIGNED_BYTE;
  out[3] = shape.length;
  for (const [i, d] of shape.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * shape.length);
  return out;
}
