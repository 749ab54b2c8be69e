/**
 * A minimal zip reader for wheels: reads the central directory, then streams single members through
 * inflate with a CRC check. Random access by offset lets setup pick a few members of a 261 MiB wheel
 * without reading (or holding) the rest.
 */
import { closeSync, createReadStream, createWriteStream, openSync, readSync, fstatSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { crc32, createInflateRaw } from 'node:zlib';
import { ActbenchError } from '../errors.js';

export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

function bad(file: string, why: string): ActbenchError {
  return new ActbenchError('TF_WHEEL_CORRUPT', `${file} is not a readable wheel (zip): ${why}`, { file });
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  return b.subarray(0, n);
}

/** Zip64 extra field (id 1): the 64-bit values replace, in order, those stored as 0xFFFFFFFF. */
function zip64(extra: Buffer, e: ZipEntry, fields: ('size' | 'compressedSize' | 'localOffset')[]): void {
  for (let p = 0; p + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(p);
    const len = extra.readUInt16LE(p + 2);
    if (id === 1) {
      let q = p + 4;
      for (const f of fields) {
        if (e[f] !== 0xffffffff) continue;
        e[f] = Number(extra.readBigUInt64LE(q));
        q += 8;
      }
      return;
    }
    p += 4 + len;
  }
}

export function readZipDirectory(file: string): ZipEntry[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new ActbenchError('TF_WHEEL_MISSING', `cannot open wheel ${file}: ${(e as Error).message}`, { file });
  }
  try {
    const size = fstatSync(fd).size;
    const tailLen = Math.min(size, 65557);
    const tail = readAt(fd, size - tailLen, tailLen);
    let eocd = -1;
    for (let p = tail.length - 22; p >= 0; p--) if (tail.readUInt32LE(p) === 0x06054b50) { eocd = p; break; }
    if (eocd < 0) throw bad(file, 'no end-of-central-directory record');
    let entries = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (entries === 0xffff || cdOffset === 0xffffffff || cdSize === 0xffffffff) {
      const loc = eocd - 20;
      if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw bad(file, 'zip64 locator missing');
      const rec = readAt(fd, Number(tail.readBigUInt64LE(loc + 8)), 56);
      if (rec.readUInt32LE(0) !== 0x06064b50) throw bad(file, 'zip64 directory record missing');
      entries = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
    const cd = readAt(fd, cdOffset, cdSize);
    if (cd.length !== cdSize) throw bad(file, 'truncated central directory');
    const out: ZipEntry[] = [];
    for (let p = 0, k = 0; k < entries; k++) {
      if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw bad(file, `central directory entry ${k} is damaged`);
      const nameLen = cd.readUInt16LE(p + 28);
      const extraLen = cd.readUInt16LE(p + 30);
      const commentLen = cd.readUInt16LE(p + 32);
      const e: ZipEntry = {
        name: cd.toString('utf8', p + 46, p + 46 + nameLen),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        compressedSize: cd.readUInt32LE(p + 20),
        size: cd.readUInt32LE(p + 24),
        localOffset: cd.readUInt32LE(p + 42),
      };
      zip64(cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen), e, ['size', 'compressedSize', 'localOffset']);
      out.push(e);
      p += 46 + nameLen + extraLen + commentLen;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** Stream one member to `dest`, checking its size and CRC-32; a damaged member is an error, not a file. */
export async function extractEntry(file: string, e: ZipEntry, dest: string): Promise<void> {
  const fd = openSync(file, 'r');
  let start: number;
  try {
    const h = readAt(fd, e.localOffset, 30);
    if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) throw bad(file, `local header of ${e.name} is damaged`);
    start = e.localOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
  } finally {
    closeSync(fd);
  }
  if (e.method !== 0 && e.method !== 8) throw bad(file, `${e.name} uses compression method ${e.method} (expected stored or deflate)`);
  let crc = 0;
  let n = 0;
  const check = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      crc = crc32(chunk, crc);
      n += chunk.length;
      cb(null, chunk);
    },
  });
  const out = createWriteStream(dest);
  try {
    if (e.compressedSize === 0) await pipeline(Readable.from([]), check, out);
    else if (e.method === 8) await pipeline(createReadStream(file, { start, end: start + e.compressedSize - 1 }), createInflateRaw(), check, out);
    else await pipeline(createReadStream(file, { start, end: start + e.compressedSize - 1 }), check, out);
  } catch (err) {
    throw bad(file, `${e.name} does not inflate: ${(err as Error).message}`);
  }
  if (n !== e.size || (crc >>> 0) !== e.crc) throw bad(file, `${e.name}: size ${n} / CRC ${crc >>> 0} do not match the directory (${e.size} / ${e.crc})`);
}

/** A member's bytes in memory: for small text members (METADATA, headers). */
export function readEntry(file: string, e: ZipEntry): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const fd = openSync(file, 'r');
    const h = readAt(fd, e.localOffset, 30);
    closeSync(fd);
    if (h.length < 30 || h.readUInt32LE(0) !== 0x04034b50) return reject(bad(file, `local header of ${e.name} is damaged`));
    const start = e.localOffset + 30 + h.readUInt16LE(26) + h.readUInt16LE(28);
    if (e.compressedSize === 0) return resolve(Buffer.alloc(0));
    const chunks: Buffer[] = [];
    const src = createReadStream(file, { start, end: start + e.compressedSize - 1 });
    const s = e.method === 8 ? src.pipe(createInflateRaw()) : src;
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (err: Error) => reject(bad(file, `${e.name}: ${err.message}`)));
    s.on('end', () => resolve(Buffer.concat(chunks).subarray(0, e.size)));
  });
}
