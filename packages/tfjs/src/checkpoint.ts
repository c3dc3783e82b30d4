/**
 * Checkpoint format: a versioned header line with the SHA-256 (WebCrypto) and length of the payload, then the
 * payload, a JSON document of the trainer state in which typed arrays are stored as base64 of their bytes and
 * bigints as decimal strings. Decoding refuses a wrong magic, an unknown version, a truncated or altered
 * payload; the trainer then refuses a state of another configuration. Browser-safe (no Node imports).
 */
import type { TrainerState } from './trainer-state';

/** First line of every checkpoint. */
export const CHECKPOINT_MAGIC = 'CNM-CHECKPOINT';
/**
 * Newest version of the format, which {@link decodeCheckpoint} reads with every earlier one. Version 2 adds the state
 * of a tfjs optimizer given as `optimizer` (its moments or accumulators); {@link encodeCheckpoint} writes it only for
 * such runs, and version 1 otherwise, which earlier versions of the library read too.
 */
export const CHECKPOINT_VERSION = 2;

/** The format version a state needs: 2 when it holds a tfjs optimizer's own state, else 1. */
function versionFor(state: TrainerState): number {
  const optimizer = state.optimizer as { readonly kind?: string; readonly inner?: unknown } | undefined;
  return optimizer?.kind === 'dp-tfjs' && optimizer.inner !== undefined ? 2 : 1;
}

interface Header {
  readonly format: string;
  readonly version: number;
  readonly sha256: string;
  readonly payloadBytes: number;
}

const TYPED = { f32: Float32Array, f64: Float64Array, i32: Int32Array } as const;
type TypedTag = keyof typeof TYPED;

function littleEndian(): boolean {
  return new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  for (const [tag, Type] of Object.entries(TYPED)) {
    if (value instanceof Type) {
      const view = value as Float32Array | Float64Array | Int32Array;
      return { $typed: tag, data: toBase64(new Uint8Array(view.buffer, view.byteOffset, view.byteLength)) };
    }
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const record = value as Record<string, unknown>;
  if (typeof record.$bigint === 'string') return BigInt(record.$bigint);
  if (typeof record.$number === 'string') return Number(record.$number);
  if (typeof record.$typed === 'string' && typeof record.data === 'string') {
    const Type = TYPED[record.$typed as TypedTag];
    if (Type === undefined) throw new TypeError(`checkpoint holds an unknown array type '${record.$typed}'`);
    const bytes = fromBase64(record.data);
    if (bytes.length % Type.BYTES_PER_ELEMENT !== 0)
      throw new RangeError('checkpoint holds a truncated array');
    return new Type(bytes.buffer as ArrayBuffer, 0, bytes.length / Type.BYTES_PER_ELEMENT);
  }
  return value;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Serialises a trainer state ({@link PrivateTrainer.exportState}) to bytes: the magic line, a JSON header
 * line with the format version (the oldest that holds the state, see {@link CHECKPOINT_VERSION}) and the SHA-256 of
 * the payload, then the payload. The state holds past noise
 * and the model: keep checkpoints as secret as the training data.
 */
export async function encodeCheckpoint(state: TrainerState): Promise<Uint8Array> {
  if (!littleEndian())
    throw new Error('checkpoints are written in little-endian byte order; this host is big-endian');
  const payload = new TextEncoder().encode(JSON.stringify(state, replacer));
  const header: Header = {
    format: 'cnm-trainer-state',
    version: versionFor(state),
    sha256: await sha256Hex(payload),
    payloadBytes: payload.length,
  };
  const head = new TextEncoder().encode(`${CHECKPOINT_MAGIC}\n${JSON.stringify(header)}\n`);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head, 0);
  out.set(payload, head.length);
  return out;
}

/**
 * Reads bytes written by {@link encodeCheckpoint}. Refuses (with the reason) bytes that are not a checkpoint,
 * a format version it does not know, a truncated file, and a payload whose SHA-256 differs from the header's.
 */
export async function decodeCheckpoint(bytes: Uint8Array): Promise<TrainerState> {
  if (!(bytes instanceof Uint8Array)) throw new TypeError('bytes must be a Uint8Array');
  if (!littleEndian())
    throw new Error('checkpoints are stored in little-endian byte order; this host is big-endian');
  const firstBreak = bytes.indexOf(10);
  const secondBreak = firstBreak < 0 ? -1 : bytes.indexOf(10, firstBreak + 1);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  if (firstBreak < 0 || decoder.decode(bytes.subarray(0, firstBreak)) !== CHECKPOINT_MAGIC) {
    throw new TypeError(`not a checkpoint: it must start with the line '${CHECKPOINT_MAGIC}'`);
  }
  if (secondBreak < 0) throw new RangeError('checkpoint is truncated: its header line is incomplete');
  let header: Header;
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(firstBreak + 1, secondBreak))) as Header;
  } catch {
    throw new RangeError('checkpoint header is corrupted: it is not valid JSON');
  }
  if (header === null || typeof header !== 'object' || header.format !== 'cnm-trainer-state') {
    throw new RangeError("checkpoint header is corrupted: format must be 'cnm-trainer-state'");
  }
  if (!Number.isInteger(header.version) || header.version < 1 || header.version > CHECKPOINT_VERSION) {
    throw new RangeError(
      `checkpoint format version ${String(header.version)} is not supported (this version reads 1 to ${CHECKPOINT_VERSION}): ` +
        'a newer version of @cnm/tfjs wrote it',
    );
  }
  const payload = bytes.subarray(secondBreak + 1);
  if (!Number.isInteger(header.payloadBytes) || typeof header.sha256 !== 'string') {
    throw new RangeError('checkpoint header is corrupted: payloadBytes and sha256 are required');
  }
  if (payload.length < header.payloadBytes) {
    throw new RangeError(
      `checkpoint is truncated: its payload has ${payload.length} of ${header.payloadBytes} bytes`,
    );
  }
  if (payload.length > header.payloadBytes) {
    throw new RangeError(
      `checkpoint is corrupted: ${payload.length - header.payloadBytes} bytes follow the declared payload`,
    );
  }
  const digest = await sha256Hex(payload);
  if (digest !== header.sha256) {
    throw new RangeError(
      'checkpoint is corrupted: the SHA-256 of its payload differs from the one in its header',
    );
  }
  return JSON.parse(new TextDecoder().decode(payload), reviver) as TrainerState;
}
