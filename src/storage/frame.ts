import { crc32 } from 'node:zlib';

/**
 * One frame of the state log:
 *
 *   magic u32 | payload length u32 | commit sequence u64 | payload crc32 u32 | header crc32 u32 | payload
 *
 * The header has its own checksum so that a damaged length can never send recovery off into the rest
 * of the file; the sequence number lets recovery see a commit that is missing altogether.
 */
export const FRAME_MAGIC = 0x53594e44; // "SYND"
export const HEADER_BYTES = 24;
/** A commit is at most this large; anything claiming more is damage. */
export const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;

export interface Frame {
  readonly seq: number;
  readonly payload: Buffer;
  readonly payloadCrc: number;
  readonly start: number;
  readonly end: number;
}

export function encodeFrame(seq: number, payload: Buffer): Buffer {
  if (payload.length > MAX_PAYLOAD_BYTES)
    throw new Error(`a commit of ${payload.length} bytes is over the limit`);
  const frame = Buffer.alloc(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(FRAME_MAGIC, 0);
  frame.writeUInt32LE(payload.length, 4);
  frame.writeBigUInt64LE(BigInt(seq), 8);
  frame.writeUInt32LE(crc32(payload), 16);
  frame.writeUInt32LE(crc32(frame.subarray(0, 20)), 20);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

/** The frame starting at `offset`, or null when the bytes there are not one whole, intact frame. */
export function readFrame(buf: Buffer, offset: number): Frame | null {
  if (offset + HEADER_BYTES > buf.length) return null;
  if (buf.readUInt32LE(offset) !== FRAME_MAGIC) return null;
  if (crc32(buf.subarray(offset, offset + 20)) !== buf.readUInt32LE(offset + 20)) return null;
  const length = buf.readUInt32LE(offset + 4);
  const end = offset + HEADER_BYTES + length;
  if (length > MAX_PAYLOAD_BYTES || end > buf.length) return null;
  const payload = buf.subarray(offset + HEADER_BYTES, end);
  const payloadCrc = buf.readUInt32LE(offset + 16);
  if (crc32(payload) !== payloadCrc) return null;
  return { seq: Number(buf.readBigUInt64LE(offset + 8)), payload, payloadCrc, start: offset, end };
}

/** The next offset after `from` where an intact frame starts, or null. */
export function findNextFrame(buf: Buffer, from: number): number | null {
  const magic = Buffer.alloc(4);
  magic.writeUInt32LE(FRAME_MAGIC, 0);
  for (let at = buf.indexOf(magic, from); at !== -1; at = buf.indexOf(magic, at + 1)) {
    if (readFrame(buf, at) !== null) return at;
  }
  return null;
}
