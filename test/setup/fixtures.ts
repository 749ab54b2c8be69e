/** Test fixtures for setup: a zip writer (deflate or stored members) and fake python/pip executables. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';

export interface Member {
  name: string;
  data: string | Buffer;
  store?: boolean;
}

/** A plain zip (no zip64) with the given members, as a wheel would be. */
export function makeZip(members: readonly Member[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const m of members) {
    const data = Buffer.isBuffer(m.data) ? m.data : Buffer.from(m.data);
    const body = m.store ? data : deflateRawSync(data);
    const name = Buffer.from(m.name);
    const crc = crc32(data) >>> 0;
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt16LE(m.store ? 0 : 8, 8);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(body.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(name.length, 26);
    locals.push(lh, name, body);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt16LE(m.store ? 0 : 8, 10);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(body.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(name.length, 28);
    ch.writeUInt32LE(offset, 42);
    centrals.push(ch, name);
    offset += 30 + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(members.length, 8);
  eocd.writeUInt16LE(members.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

/**
 * A fake `python` for pip tests: answers the version probe, then behaves as `pip` says:
 * 'none' (no pip module), 'offline' (index unreachable), 'nomatch' (index reachable, no wheel),
 * 'sleep' (a download that hangs), or a path of a wheel to "download".
 * Every pip call is appended to `<dir>/calls.log`.
 */
export function fakePython(dir: string, pip: 'none' | 'offline' | 'nomatch' | 'sleep' | { wheel: string }): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'python');
  const log = join(dir, 'calls.log');
  const download =
    pip === 'none' ? 'echo "No module named pip" >&2; exit 1'
    : pip === 'offline' ? `echo "WARNING: Retrying after connection broken by 'NewConnectionError(... Failed to establish a new connection: [Errno -2] Name or service not known')'" >&2; echo "ERROR: Could not find a version that satisfies the requirement $3 (from versions: none)" >&2; echo "ERROR: No matching distribution found for $3" >&2; exit 1`
    : pip === 'nomatch' ? 'echo "ERROR: Could not find a version that satisfies the requirement $3 (from versions: 2.20.0)" >&2; echo "ERROR: No matching distribution found for $3" >&2; exit 1'
    : pip === 'sleep' ? 'sleep 60; exit 1'
    : `d=""; while [ $# -gt 0 ]; do [ "$1" = "-d" ] && d="$2"; shift; done; cp ${JSON.stringify(pip.wheel)} "$d/"; echo "Saved"`;
  const pipVersion = pip === 'none' ? 'echo "No module named pip" >&2; exit 1' : 'echo "pip 99.0 from /fake (python 3.11)"';
  writeFileSync(
    file,
    `#!/bin/sh
if [ "$1" = "-c" ]; then echo 3.11; exit 0; fi
if [ "$1" = "-m" ] && [ "$3" = "--version" ]; then ${pipVersion}; fi
if [ "$1" = "-m" ] && [ "$3" = "download" ]; then
  echo "$@" >> ${JSON.stringify(log)}
  shift 3
  set -- x x "$@"
  ${download}
fi
exit 0
`,
  );
  chmodSync(file, 0o755);
  return file;
}
