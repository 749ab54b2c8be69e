/**
 * NumPy .npy files, format versions 1.0–3.0: uint8, float32, float64, int32 and int64 arrays, C order.
 * The header is parsed and validated on its own so large files can be read by ranges.
 */
import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { ActbenchError, fsError } from '../errors.js';

export type NpyDtype = 'uint8' | 'float32' | 'float64' | 'int32' | 'int64' | 'uint64';
const DESCR: Record<string, NpyDtype> = { '|u1': 'uint8', '<u1': 'uint8', '<f4': 'float32', '<f8': 'float64', '<i4': 'int32', '<i8': 'int64', '<u8': 'uint64' };
const BYTES: Record<NpyDtype, number> = { uint8: 1, float32: 4, float64: 8, int32: 4, int64: 8, uint64: 8 };
const DESCR_OUT: Record<NpyDtype, string> = { uint8: '|u1', float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', uint64: '<u8' };

export interface NpyHeader {
  dtype: NpyDtype;
  shape: number[];
  /** byte offset of the data */
  offset: number;
  bytesPerItem: number;
}

export type NpyData = Uint8Array | Float32Array | Float64Array | Int32Array | BigInt64Array | BigUint64Array;

export function parseNpyHeader(buf: Uint8Array, file: string, fileSize: number): NpyHeader {
  const magic = Buffer.from(buf.subarray(0, 6)).toString('latin1');
  if (magic !== '\x93NUMPY') throw new ActbenchError('NPY_BAD_MAGIC', `${file}: not a .npy file (magic ${JSON.stringify(magic)}, expected "\\x93NUMPY")`, { file, field: 'magic' });
  const major = buf[6];
  if (major < 1 || major > 3) throw new ActbenchError('NPY_BAD_VERSION', `${file}: .npy format version ${major}.${buf[7]}, expected 1.0–3.0`, { file, field: 'version' });
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const start = major === 1 ? 10 : 12;
  if (buf.length < start + headerLen) throw new ActbenchError('NPY_TRUNCATED', `${file}: header of ${headerLen} bytes is cut short`, { file, field: 'header' });
  const text = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(start, start + headerLen));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(text)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(text)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    throw new ActbenchError('NPY_BAD_HEADER', `${file}: header ${JSON.stringify(text.trim())} lacks descr, fortran_order or shape`, { file, field: 'header' });
  }
  const dtype = DESCR[descr];
  if (!dtype) throw new ActbenchError('NPY_BAD_DTYPE', `${file}: dtype '${descr}', expected one of ${Object.keys(DESCR).join(', ')}`, { file, field: 'descr' });
  if (fortran === 'True') throw new ActbenchError('NPY_FORTRAN_ORDER', `${file}: Fortran-ordered arrays are not supported; save with np.ascontiguousarray`, { file, field: 'fortran_order' });
  const shape = shapeText.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) throw new ActbenchError('NPY_BAD_HEADER', `${file}: shape (${shapeText}) is not a tuple of integers`, { file, field: 'shape' });
  const offset = start + headerLen;
  const need = offset + shape.reduce((a, b) => a * b, 1) * BYTES[dtype];
  if (fileSize < need) {
    throw new ActbenchError('NPY_TRUNCATED', `${file}: shape (${shape.join(', ')}) ${dtype} needs ${need} bytes, the file has ${fileSize}`, { file, field: 'data' });
  }
  return { dtype, shape, offset, bytesPerItem: BYTES[dtype] };
}

function typed(dtype: NpyDtype, bytes: Uint8Array): NpyData {
  // copy into an aligned buffer: the data offset need not be a multiple of the item size
  const b = bytes.slice().buffer;
  switch (dtype) {
    case 'uint8':
      return new Uint8Array(b);
    case 'float32':
      return new Float32Array(b);
    case 'float64':
      return new Float64Array(b);
    case 'int32':
      return new Int32Array(b);
    case 'int64':
      return new BigInt64Array(b);
    case 'uint64':
      return new BigUint64Array(b);
  }
}

/** An open .npy file: header plus range reads along the first axis (bounded memory for big files). */
export class NpyFile {
  readonly header: NpyHeader;
  private readonly fd: number;
  readonly rowItems: number;
  constructor(readonly file: string) {
    let fd: number | undefined;
    try {
      fd = openSync(file, 'r');
      // opening a directory succeeds on Linux; reading it fails with a bare EISDIR
      const st = fstatSync(fd);
      if (st.isDirectory()) throw Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
      const head = new Uint8Array(Math.min(st.size, 65536 + 12));
      readSync(fd, head, 0, head.length, 0);
      this.header = parseNpyHeader(head, file, st.size);
    } catch (e) {
      if (fd !== undefined) closeSync(fd);
      throw fsError(e, file, 'read');
    }
    this.fd = fd;
    this.rowItems = this.header.shape.slice(1).reduce((a, b) => a * b, 1);
  }
  get rows(): number {
    return this.header.shape[0] ?? 1;
  }
  /** rows [start, end) as a typed array */
  read(start = 0, end = this.rows): NpyData {
    if (start < 0 || end > this.rows || start > end) throw new ActbenchError('NPY_BAD_RANGE', `${this.file}: rows ${start}..${end} outside 0..${this.rows}`, { file: this.file });
    const bytes = new Uint8Array((end - start) * this.rowItems * this.header.bytesPerItem);
    let got: number;
    try {
      got = readSync(this.fd, bytes, 0, bytes.length, this.header.offset + start * this.rowItems * this.header.bytesPerItem);
    } catch (e) {
      throw fsError(e, this.file, 'read');
    }
    if (got !== bytes.length) throw new ActbenchError('NPY_TRUNCATED', `${this.file}: rows ${start}..${end} cut short (${got} of ${bytes.length} bytes; was the file changed while reading?)`, { file: this.file, field: 'data' });
    return typed(this.header.dtype, bytes);
  }
  close(): void {
    closeSync(this.fd);
  }
}

export function readNpy(file: string): { header: NpyHeader; data: NpyData } {
  const f = new NpyFile(file);
  try {
    return { header: f.header, data: f.read() };
  } finally {
    f.close();
  }
}

/** Encode a .npy (version 1.0; header padded so the data starts on a 64-byte boundary). */
export function encodeNpy(data: NpyData, shape: number[], dtype: NpyDtype): Uint8Array {
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${DESCR_OUT[dtype]}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const out = new Uint8Array(10 + header.length + data.byteLength);
  out.set([0x93, ...Buffer.from('NUMPY', 'latin1'), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(Buffer.from(header, 'latin1'), 10);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}
