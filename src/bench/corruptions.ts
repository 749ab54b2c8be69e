/**
 * Corruption speed: seconds per 1000 CIFAR-sized (32×32 RGB) images per corruption at severity 5, on one
 * thread (corruptMany() in a loop) and with a worker per core (the `actbench corrupt` pipeline's pool),
 * against the reference generator's own functions timed in the same run: hendrycks/robustness
 * make_cifar_c.py (numpy, scipy, scikit-image, OpenCV, Pillow, ImageMagick through Wand), single-threaded
 * in Debian's /usr/bin/python3 on the same images, so every speed-up is a same-run ratio. Each side
 * reports the best of up to 3 passes (1 when a pass takes over a second), wall clock and CPU time; the
 * reference is timed for each corruption right before actbench is, so both see the same machine load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { corruptMany, CORRUPTIONS, deriveSeed, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import { jpegCodec } from '../corrupt/jpeg.js';
import type { ArrayJob } from '../corrupt/worker.js';
import { encodeNpy } from '../data/npy.js';
import type { ImageSet } from '../data/dataset.js';
import { PACKAGE_ROOT } from '../train/native/addon.js';
import { WorkerPool } from '../util/pool.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';

export interface CorruptionBenchRow {
  corruption: CorruptionName;
  /** seconds per 1000 images */
  singleSeconds: number;
  singleCpuSeconds: number;
  parallelSeconds: number;
  /** the reference generator, one thread (absent when its Python libraries are not installed) */
  referenceSeconds?: number;
  referenceCpuSeconds?: number;
}

export interface CorruptionBenchResult {
  rows: CorruptionBenchRow[];
  images: number;
  workers: number;
  machine: MachineInfo;
  /** 1-minute load average before and after */
  load: [number, number];
  jpeg: string;
  notes: string[];
  /** the timed reference functions against the reference generator's stored outputs (test/fixtures), when they could run */
  referenceCheck?: { equal: string[]; differ: string[] };
}

/** 1000 structured 32×32 RGB images (smooth gradients, shapes and texture), deterministic. */
export function benchImages(n = 1000): ImageSet {
  const images = new Uint8Array(n * 3072);
  const r = new NumpyRandomState(12345);
  for (let i = 0; i < n; i++) {
    const [a, b, c] = [r.random() * 6, r.random() * 6, r.random()];
    for (let y = 0; y < 32; y++)
      for (let x = 0; x < 32; x++)
        for (let ch = 0; ch < 3; ch++) {
          const disc = (x - 16 - 8 * Math.sin(a)) ** 2 + (y - 16 - 8 * Math.cos(b)) ** 2 < 60 ? 80 : 0;
          images[i * 3072 + (y * 32 + x) * 3 + ch] = Math.min(255, Math.floor(60 + 90 * c * Math.sin(a + x / 7 + ch) ** 2 + 60 * Math.cos(b + y / 5) ** 2 + disc + 20 * r.random()));
        }
  }
  return { name: 'bench', images, labels: new Int32Array(n), height: 32, width: 32, channels: 3, numClasses: 10 };
}

const PY = '/usr/bin/python3';
const FROST_DIR = join(PACKAGE_ROOT, 'test', 'fixtures', 'frost');
/** The reference generator's CIFAR functions and their timing loop (the fixture generator imports the same file). */
const REFERENCE = join(PACKAGE_ROOT, 'src', 'bench', 'cifar_c_reference.py');

/** Why the reference cannot be timed here ('' when it can). */
function referenceMissing(): string {
  const probe = spawnSync(PY, ['-c', 'import numpy, scipy, skimage, cv2, PIL, wand.image'], { encoding: 'utf8' });
  if (probe.status === 0) return '';
  return `reference not timed: ${PY} lacks its libraries (${(probe.stderr || String(probe.error ?? '')).trim().split('\n').pop()}); Debian: apt-get install python3-numpy python3-scipy python3-skimage python3-opencv python3-wand python3-pil`;
}

/** Times the reference on the images of `npy` (one Python process, one thread); the reason when it could not. */
function timeReference(npy: string, names: readonly CorruptionName[], log?: (s: string) => void): { rows: Map<string, { wall: number; cpu: number }>; note?: string } {
  const rows = new Map<string, { wall: number; cpu: number }>();
  const todo = existsSync(join(FROST_DIR, 'frost1.png')) ? names : names.filter((n) => n !== 'frost');
  {
    const r = spawnSync(PY, [REFERENCE, npy, FROST_DIR, '5', ...todo], {
      encoding: 'utf8',
      maxBuffer: 1 << 24,
      env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1', MAGICK_THREAD_LIMIT: '1' },
    });
    for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
      const o = JSON.parse(line) as { corruption: string; wall: number; cpu: number };
      rows.set(o.corruption, { wall: o.wall, cpu: o.cpu });
      log?.(`reference ${o.corruption}: ${o.wall.toFixed(3)} s (${o.cpu.toFixed(3)} s CPU)`);
    }
    if (r.status !== 0) return { rows, note: `reference stopped: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}` };
  }
  return { rows, note: todo.length < names.length ? 'frost reference not timed: test/fixtures/frost is missing' : undefined };
}

/** Whether the timed functions reproduce the stored outputs of the reference generator (19 fixtures) bit for bit. */
function checkReference(): { equal: string[]; differ: string[] } | string {
  const r = spawnSync(PY, [REFERENCE, 'check', join(PACKAGE_ROOT, 'test', 'fixtures')], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) return `reference check stopped: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`;
  const out = { equal: [] as string[], differ: [] as string[] };
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('{'))) {
    const o = JSON.parse(line) as { corruption: string; equal: boolean };
    (o.equal ? out.equal : out.differ).push(o.corruption);
  }
  return out;
}

/** best of 3 of fn(): [wall, CPU] seconds */
function best3(fn: () => void): [number, number] {
  let wall = Infinity;
  let cpu = Infinity;
  for (let r = 0; r < 3; r++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    fn();
    const t = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (t < wall) [wall, cpu] = [t, (c.user + c.system) / 1e6];
  }
  return [wall, cpu];
}

export async function benchCorruptions(o: { images?: number; reference?: boolean; log?: (s: string) => void } = {}): Promise<CorruptionBenchResult> {
  const set = benchImages(o.images ?? 1000);
  const n = set.labels.length;
  const per1000 = (s: number) => (s * 1000) / n;
  const workers = cpus().length;
  const notes: string[] = [];
  const load0 = loadavg()[0];
  const missing = o.reference === false ? 'reference not timed (--no-reference)' : referenceMissing();
  if (missing) notes.push(missing);
  const checked = missing ? undefined : checkReference();
  if (typeof checked === 'string') notes.push(checked);
  // the reference is timed corruption by corruption right before actbench (one Python process each), so a
  // change of the machine's load during the run shifts both sides of each ratio alike
  const dir = mkdtempSync(join(tmpdir(), 'actbench-ref-'));
  const npy = join(dir, 'images.npy');
  writeFileSync(npy, encodeNpy(set.images, [n, 32, 32, 3], 'uint8'));
  const rows: CorruptionBenchRow[] = [];
  const pool = new WorkerPool<ArrayJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), workers);
  try {
    const shape = { height: 32, width: 32, channels: 3 };
    for (const name of CORRUPTIONS) {
      const ref = missing ? { rows: new Map<string, { wall: number; cpu: number }>() } : timeReference(npy, [name], o.log);
      if (ref.note && !notes.includes(ref.note)) notes.push(ref.note);
      // warm-up (JIT, the codec, all five frost textures, which are generated once per process)
      corruptMany(set.images.subarray(0, 40 * 3072), shape, name, 5, (i) => new NumpyRandomState(i));
      // one generator reseeded per image, as the pipeline's workers do
      const rng = new NumpyRandomState();
      const [single, singleCpu] = best3(() => corruptMany(set.images, shape, name, 5, (i) => (rng.seed(deriveSeed(0, name, 5, i)), rng)));
      // all cores: the pipeline's worker pool (started and warmed once, as a long `actbench corrupt` run has it)
      const chunk = Math.ceil(n / (workers * 4));
      const jobs = (seed: number) =>
        Array.from({ length: Math.ceil(n / chunk) }, (_, k) => {
          const images = set.images.slice(k * chunk * 3072, Math.min(n, (k + 1) * chunk) * 3072);
          return pool.run({ kind: 'array', images, height: 32, width: 32, channels: 3, corruption: name, severity: 5, start: k * chunk, seed }, [images.buffer]);
        });
      await Promise.all(jobs(1)); // warm-up of this corruption in every worker
      let parallel = Infinity;
      for (let r = 0; r < 3; r++) {
        const t1 = performance.now();
        await Promise.all(jobs(0));
        parallel = Math.min(parallel, (performance.now() - t1) / 1000);
      }
      const rf = ref.rows.get(name);
      rows.push({
        corruption: name,
        singleSeconds: per1000(single),
        singleCpuSeconds: per1000(singleCpu),
        parallelSeconds: per1000(parallel),
        ...(rf ? { referenceSeconds: per1000(rf.wall), referenceCpuSeconds: per1000(rf.cpu) } : {}),
      });
      o.log?.(`${name}: ${single.toFixed(3)} s single (${singleCpu.toFixed(3)} s CPU), ${parallel.toFixed(3)} s with ${workers} workers${rf ? `; reference ${rf.wall.toFixed(3)} s` : ''}`);
    }
  } finally {
    await pool.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const codec = jpegCodec();
  if (codec.reason) notes.push(`jpeg_compression through the ${codec.path}: ${codec.reason}`);
  return { rows, images: n, workers, machine: machineInfo(), load: [load0, loadavg()[0]], jpeg: codec.path, notes, ...(checked && typeof checked !== 'string' ? { referenceCheck: checked } : {}) };
}

function referenceCheckLine(c: { equal: string[]; differ: string[] }): string {
  const what = 'the stored outputs of the reference generator (test/fixtures/cifar_c_golden, cifar_c_ref11: 8 images at severities 1 and 5)';
  if (c.differ.length === 0) return `- the timed reference functions (src/bench/cifar_c_reference.py) reproduce ${what} bit for bit for all ${c.equal.length}, checked in this run`;
  return `- **the timed reference functions do not reproduce ${what} for ${c.differ.join(', ')}**: those rows do not time the reference`;
}

const ratio = (ref: number | undefined, ours: number) => (ref === undefined ? '' : `${(ref / ours).toFixed(2)}×`);

export function corruptionBenchMarkdown(r: CorruptionBenchResult, command: string): string {
  const sum = (k: 'singleSeconds' | 'singleCpuSeconds' | 'parallelSeconds' | 'referenceSeconds' | 'referenceCpuSeconds') => r.rows.reduce((a, x) => a + (x[k] ?? 0), 0);
  const timed = r.rows.filter((x) => x.referenceSeconds !== undefined);
  const slower = timed.filter((x) => (x.referenceSeconds as number) < x.singleSeconds).map((x) => x.corruption);
  const slowerCpu = timed.filter((x) => (x.referenceCpuSeconds as number) < x.singleCpuSeconds).map((x) => x.corruption);
  return [
    '# Corruption speed (CIFAR-sized images, severity 5)',
    '',
    `Seconds per 1000 32×32 RGB images for each corruption at severity 5, best of up to 3 passes: actbench on one thread`,
    `(\`corruptMany()\`: corrupt() per image with derived seeds; JPEG: ${r.jpeg}) and the \`actbench corrupt\` worker pool`,
    `with ${r.workers} threads (started once); the reference generator (hendrycks/robustness make_cifar_c.py functions, numpy/scipy/`,
    `scikit-image/OpenCV/Pillow/Wand from Debian, one thread) timed in the same run, right before each corruption, on the same ${r.images} synthetic images.`,
    'Ratios are reference time / actbench time (> 1: actbench is faster). Wall clock, and CPU time for the one-thread',
    'columns (less sensitive to other processes on a loaded machine).',
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- load average (1 min) before / after: ${r.load[0].toFixed(2)} / ${r.load[1].toFixed(2)} on ${r.machine.cores} cores`,
    `- command: \`${command}\``,
    ...r.notes.map((n) => `- note: ${n}`),
    ...(r.referenceCheck ? [referenceCheckLine(r.referenceCheck)] : []),
    '',
    '| corruption | reference s | actbench 1 thread s | all cores s | ratio 1 thread | ratio all cores | ratio 1 thread, CPU time |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.rows.map((x) =>
      `| ${x.corruption} | ${x.referenceSeconds?.toFixed(3) ?? '—'} | ${x.singleSeconds.toFixed(3)} | ${x.parallelSeconds.toFixed(3)} | ${ratio(x.referenceSeconds, x.singleSeconds)} | ${ratio(x.referenceSeconds, x.parallelSeconds)} | ${ratio(x.referenceCpuSeconds, x.singleCpuSeconds)} |`),
    `| **all 19** | **${timed.length ? sum('referenceSeconds').toFixed(2) : '—'}** | **${sum('singleSeconds').toFixed(2)}** | **${sum('parallelSeconds').toFixed(2)}** | **${timed.length === r.rows.length ? ratio(sum('referenceSeconds'), sum('singleSeconds')) : ''}** | **${timed.length === r.rows.length ? ratio(sum('referenceSeconds'), sum('parallelSeconds')) : ''}** | **${timed.length === r.rows.length ? ratio(sum('referenceCpuSeconds'), sum('singleCpuSeconds')) : ''}** |`,
    '',
    timed.length
      ? `Slower than the reference on one thread: ${slower.length ? slower.join(', ') : 'none'} (wall clock); ${slowerCpu.length ? slowerCpu.join(', ') : 'none'} (CPU time).`
      : 'Reference not timed: no ratios.',
    '',
  ].join('\n');
}
