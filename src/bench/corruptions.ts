/**
 * Corruption speed: seconds per 1000 CIFAR-sized (32×32 RGB) images per corruption at severity 5, on one
 * thread (corrupt() in a loop) and with a worker per core (the `actbench corrupt` pipeline's pool).
 * The reference generator needs ≈ 33 s for all 19 per 1000 images on this machine class
 * (corruptions.md §0; glass_blur 14.5 s, frost 7.2 s, zoom_blur 4.4 s).
 */
import { cpus } from 'node:os';
import { corrupt, corruptMany, CORRUPTIONS, deriveSeed, NumpyRandomState, type CorruptionName } from '../corrupt/index.js';
import type { ArrayJob } from '../corrupt/worker.js';
import { WorkerPool } from '../util/pool.js';
import type { ImageSet } from '../data/dataset.js';
import { machineInfo, machineLine, type MachineInfo } from './machine.js';

const REFERENCE_S: Partial<Record<CorruptionName, number>> = { glass_blur: 14.5, frost: 7.2, zoom_blur: 4.4 };
const REFERENCE_TOTAL_S = 33;

export interface CorruptionBenchRow {
  corruption: CorruptionName;
  singleSeconds: number;
  parallelSeconds: number;
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

export async function benchCorruptions(o: { images?: number; log?: (s: string) => void } = {}): Promise<{ rows: CorruptionBenchRow[]; images: number; workers: number; machine: MachineInfo }> {
  const set = benchImages(o.images ?? 1000);
  const n = set.labels.length;
  const workers = cpus().length;
  const rows: CorruptionBenchRow[] = [];
  const pool = new WorkerPool<ArrayJob, Uint8Array>(new URL(import.meta.url.endsWith('.ts') ? '../corrupt/worker.ts' : '../corrupt/worker.js', import.meta.url), workers);
  for (const name of CORRUPTIONS) {
    // warm-up (JIT, the JPEG worker, all five frost textures, which are generated once per process)
    for (let s = 0; s < (name === 'frost' ? 40 : 1); s++) corrupt({ data: set.images.subarray(0, 3072), height: 32, width: 32, channels: 3 }, name, 5, { seed: s });
    const t0 = performance.now();
    corruptMany(set.images, { height: 32, width: 32, channels: 3 }, name, 5, (i) => new NumpyRandomState(deriveSeed(0, name, 5, i)));
    const single = (performance.now() - t0) / 1000;
    // all cores: the pipeline's worker pool (started and warmed once, as a long `actbench corrupt` run has it)
    const chunk = Math.ceil(n / (workers * 4));
    const jobs = (seed: number) =>
      Array.from({ length: Math.ceil(n / chunk) }, (_, k) => {
        const images = set.images.slice(k * chunk * 3072, Math.min(n, (k + 1) * chunk) * 3072);
        return pool.run({ kind: 'array', images, height: 32, width: 32, channels: 3, corruption: name, severity: 5, start: k * chunk, seed }, [images.buffer]);
      });
    await Promise.all(jobs(1)); // warm-up of this corruption in every worker
    const t1 = performance.now();
    await Promise.all(jobs(0));
    const parallel = (performance.now() - t1) / 1000;
    rows.push({ corruption: name, singleSeconds: (single * 1000) / n, parallelSeconds: (parallel * 1000) / n });
    o.log?.(`${name}: ${single.toFixed(3)} s single, ${parallel.toFixed(3)} s with ${workers} workers`);
  }
  await pool.close();
  return { rows, images: n, workers, machine: machineInfo() };
}

export function corruptionBenchMarkdown(r: Awaited<ReturnType<typeof benchCorruptions>>, command: string): string {
  const sum = (k: 'singleSeconds' | 'parallelSeconds') => r.rows.reduce((a, x) => a + x[k], 0);
  return [
    '# Corruption speed (CIFAR-sized images, severity 5)',
    '',
    `Seconds per 1000 32×32 RGB images for each corruption at severity 5: one thread (\`corruptMany()\`: corrupt() per image with`,
    `derived seeds; JPEG in one codec call) and the \`actbench corrupt\` worker pool with ${r.workers} threads (started once).`,
    `${r.images} synthetic structured images. Reference generator (hendrycks/robustness, numpy/scipy/OpenCV/Wand) on this`,
    `machine class: ≈ ${REFERENCE_TOTAL_S} s for all 19 (corruptions.md §0).`,
    '',
    `- machine: ${machineLine(r.machine)}`,
    `- command: \`${command}\``,
    '',
    '| corruption | s / 1000 images, 1 thread | s / 1000 images, all cores | reference s / 1000 |',
    '|---|---:|---:|---:|',
    ...r.rows.map((x) => `| ${x.corruption} | ${x.singleSeconds.toFixed(3)} | ${x.parallelSeconds.toFixed(3)} | ${REFERENCE_S[x.corruption]?.toFixed(1) ?? ''} |`),
    `| **all 19** | **${sum('singleSeconds').toFixed(2)}** | **${sum('parallelSeconds').toFixed(2)}** | **≈ ${REFERENCE_TOTAL_S}** |`,
    '',
    `Speed-up over the reference for all 19: ${(REFERENCE_TOTAL_S / sum('singleSeconds')).toFixed(1)}× on one thread, ${(REFERENCE_TOTAL_S / sum('parallelSeconds')).toFixed(1)}× with all cores. ` +
      `Slowest single corruption with all cores: ${r.rows.reduce((a, x) => (x.parallelSeconds > a.parallelSeconds ? x : a)).corruption} ` +
      `(${Math.max(...r.rows.map((x) => x.parallelSeconds)).toFixed(3)} s).`,
    '',
  ].join('\n');
}
