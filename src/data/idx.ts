/** MNIST / Fashion-MNIST idx files (raw or gzip), validated. */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ActbenchError, fsError } from '../errors.js';
import { checkLabelRange } from './labels.js';

function load(path: string): Buffer {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw fsError(e, path, 'read');
  }
  if (buf[0] === 0x1f && buf[1] === 0x8b) {
    try {
      return gunzipSync(buf);
    } catch (e) {
      throw new ActbenchError('IDX_BAD_GZIP', `${path} looks gzip-compressed but does not decompress: ${(e as Error).message}`, { file: path });
    }
  }
  return buf;
}

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Read an unsigned-byte idx file (magic 0x0000080D, D = number of dimensions). */
export function readIdx(path: string): IdxArray {
  const buf = load(path);
  if (buf.length < 4) throw new ActbenchError('IDX_TRUNCATED', `${path}: ${buf.length} bytes, too short for an idx header`, { file: path, field: 'header' });
  if (buf[0] !== 0 || buf[1] !== 0 || buf[2] !== 0x08) {
    throw new ActbenchError('IDX_BAD_MAGIC', `${path}: magic ${buf.subarray(0, 4).toString('hex')}, expected 000008XX (unsigned byte idx)`, { file: path, field: 'magic' });
  }
  const nd = buf[3];
  if (nd < 1 || nd > 4 || buf.length < 4 + 4 * nd) {
    throw new ActbenchError('IDX_BAD_HEADER', `${path}: ${nd} dimensions in the header, expected 1 (labels) or 3 (images)`, { file: path, field: 'header' });
  }
  const dims = Array.from({ length: nd }, (_, k) => buf.readUInt32BE(4 + 4 * k));
  const size = dims.reduce((a, b) => a * b, 1);
  const offset = 4 + 4 * nd;
  if (buf.length !== offset + size) {
    throw new ActbenchError('IDX_TRUNCATED', `${path}: header promises ${size} bytes of data (${dims.join('×')}), file has ${buf.length - offset}`, { file: path, field: 'data' });
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + offset, size) };
}

export function readIdxImages(path: string): { n: number; height: number; width: number; data: Uint8Array } {
  const a = readIdx(path);
  if (a.dims.length !== 3) throw new ActbenchError('IDX_BAD_HEADER', `${path}: ${a.dims.length} dimensions, expected 3 (N, H, W) for images`, { file: path, field: 'dims' });
  return { n: a.dims[0], height: a.dims[1], width: a.dims[2], data: a.data };
}

export function readIdxLabels(path: string, numClasses: number): Int32Array {
  const a = readIdx(path);
  if (a.dims.length !== 1) throw new ActbenchError('IDX_BAD_HEADER', `${path}: ${a.dims.length} dimensions, expected 1 for labels`, { file: path, field: 'dims' });
  const labels = Int32Array.from(a.data);
  checkLabelRange(path, labels, numClasses, 'IDX_BAD_LABEL');
  return labels;
}

/** Encode an idx file (used by tests and exports). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = Buffer.alloc(4 + 4 * dims.length + data.length);
  out[2] = 0x08;
  out[3] = dims.length;
  dims.forEach((d, k) => out.writeUInt32BE(d, 4 + 4 * k));
  out.set(data, 4 + 4 * dims.length);
  return out;
}
