/**
 * What setup takes from a wheel: the two C-API libraries, the headers the binding's sources include
 * (followed transitively: tensorflow/c/ includes tensorflow/core/platform/ and tsl/ headers), and for the
 * GPU variant NVIDIA's shared libraries. Everything else in the 1.2 GB of members stays in the zip.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { ActbenchError } from '../errors.js';
import { WHEEL_INCLUDE, WHEEL_LIBRARIES } from './paths.js';
import { extractEntry, readEntry, type ZipEntry } from './zip.js';

export interface Selection {
  libraries: ZipEntry[];
}

export function selectLibraries(file: string, entries: readonly ZipEntry[]): Selection {
  const byName = new Map(entries.map((e) => [e.name, e]));
  const missing = WHEEL_LIBRARIES.filter((n) => !byName.has(n));
  if (missing.length) {
    throw new ActbenchError(
      'TF_WHEEL_INCOMPATIBLE',
      `${file} lacks ${missing.join(' and ')}: expected a TensorFlow ≥ 2.16 Linux wheel (tensorflow-cpu or tensorflow) whose tensorflow/ folder holds the C-API libraries`,
      { file },
    );
  }
  return { libraries: WHEEL_LIBRARIES.map((n) => byName.get(n) as ZipEntry) };
}

const INCLUDE = /^\s*#\s*include\s*"([^"]+)"/gm;

export function quotedIncludes(source: string): string[] {
  return [...source.matchAll(INCLUDE)].map((m) => m[1]);
}

/**
 * Headers reachable from `roots` (include names such as "tensorflow/c/c_api.h"), resolved against the
 * wheel's include root or the including header's folder. Names the wheel lacks are system or binding
 * headers and are returned separately.
 */
export async function headerClosure(roots: readonly string[], lookup: (name: string) => Promise<string | null>): Promise<{ found: string[]; unresolved: string[] }> {
  const found = new Set<string>();
  const unresolved = new Set<string>();
  const queue = roots.map((r) => ({ name: r, from: '' }));
  while (queue.length) {
    const { name, from } = queue.shift() as { name: string; from: string };
    const candidates = [posix.normalize(name), ...(from ? [posix.join(posix.dirname(from), name)] : [])];
    let hit: string | null = null;
    let text: string | null = null;
    for (const c of candidates) {
      if (found.has(c)) { hit = c; break; }
      text = await lookup(c);
      if (text !== null) { hit = c; break; }
    }
    if (hit === null) { unresolved.add(name); continue; }
    if (text === null) continue; // seen before
    found.add(hit);
    for (const inc of quotedIncludes(text)) queue.push({ name: inc, from: hit });
  }
  return { found: [...found].sort(), unresolved: [...unresolved].sort() };
}

/** Headers the binding needs, extracted under `includeDir`. Returns their count and bytes. */
export async function extractHeaders(file: string, entries: readonly ZipEntry[], bindingSources: readonly string[], includeDir: string): Promise<{ count: number; bytes: number }> {
  const byName = new Map(entries.filter((e) => e.name.startsWith(WHEEL_INCLUDE)).map((e) => [e.name.slice(WHEEL_INCLUDE.length), e]));
  const roots = [...new Set(bindingSources.flatMap(quotedIncludes))];
  const { found } = await headerClosure(roots, async (n) => {
    const e = byName.get(n);
    return e ? (await readEntry(file, e)).toString('utf8') : null;
  });
  if (!found.includes('tensorflow/c/c_api.h') || !found.includes('tensorflow/c/eager/c_api.h')) {
    throw new ActbenchError('TF_WHEEL_INCOMPATIBLE', `${file} lacks the C API headers ${WHEEL_INCLUDE}tensorflow/c/c_api.h and tensorflow/c/eager/c_api.h`, { file });
  }
  let bytes = 0;
  for (const n of found) {
    const e = byName.get(n) as ZipEntry;
    const dest = join(includeDir, n);
    mkdirSync(dirname(dest), { recursive: true });
    await extractEntry(file, e, dest);
    bytes += e.size;
  }
  return { count: found.length, bytes };
}

/** `Requires-Dist` lines of the wheel's METADATA that belong to `extra` (e.g. and-cuda), markers stripped. */
export function extraRequirements(metadata: string, extra: string): string[] {
  const out: string[] = [];
  for (const line of metadata.split(/\r?\n/)) {
    const m = /^Requires-Dist:\s*([^;]+);(.*)$/.exec(line);
    if (!m) continue;
    if (new RegExp(`extra\\s*==\\s*["']${extra.replace(/[-]/g, '[-_]')}["']`).test(m[2])) out.push(m[1].trim().replace(/\s+/g, ''));
  }
  return out;
}

export function metadataEntry(entries: readonly ZipEntry[]): ZipEntry | undefined {
  return entries.find((e) => /^[^/]+\.dist-info\/METADATA$/.test(e.name));
}

/** NVIDIA wheel members that are shared libraries, kept at their wheel path (nvidia/<pkg>/lib/…). */
export function nvidiaLibraries(entries: readonly ZipEntry[]): ZipEntry[] {
  return entries.filter((e) => /^nvidia\/[^/]+\/lib\/[^/]+\.so(\.\d+)*$/.test(e.name));
}
