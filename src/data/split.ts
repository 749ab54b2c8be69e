/** Seeded stratified splits and per-dataset normalisation statistics. */
import { subset, type ImageSet } from './dataset.js';

/** mulberry32: a small, seedable PRNG for every data-side random choice. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(xs: T[], rand: () => number): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

/** Hold out `fraction` of every class (LayerAct: 10 % stratified validation split), reproducibly. */
export function stratifiedSplit(s: ImageSet, fraction: number, seed: number): { train: ImageSet; val: ImageSet } {
  const rand = prng(seed ^ 0x5eed);
  const byClass = new Map<number, number[]>();
  s.labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const train: number[] = [];
  const val: number[] = [];
  for (const [, idx] of [...byClass].sort((a, b) => a[0] - b[0])) {
    shuffle(idx, rand);
    const k = Math.round(idx.length * fraction);
    val.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  train.sort((a, b) => a - b);
  val.sort((a, b) => a - b);
  return { train: subset(s, train, `${s.name}-train`), val: subset(s, val, `${s.name}-val`) };
}

export interface Normalisation {
  mean: number[];
  std: number[];
}

/** Per-channel mean and (population) std of pixel/255 over a set — computed on the training split. */
export function channelStats(s: ImageSet): Normalisation {
  const C = s.channels;
  const sum = new Float64Array(C);
  const sq = new Float64Array(C);
  for (let k = 0; k < s.images.length; k++) {
    const v = s.images[k] / 255;
    sum[k % C] += v;
    sq[k % C] += v * v;
  }
  const n = s.images.length / C;
  const mean = [...sum].map((v) => v / n);
  return { mean, std: [...sq].map((v, c) => Math.sqrt(Math.max(v / n - mean[c] ** 2, 1e-12))) };
}

/** Published statistics, used when the dataset is recognised (LayerAct's CIFAR values). */
export const KNOWN_STATS: Record<string, Normalisation> = {
  cifar10: { mean: [0.49139968, 0.48215841, 0.44653091], std: [0.24703223, 0.24348513, 0.26158784] },
  cifar100: { mean: [0.5071, 0.4867, 0.4408], std: [0.2675, 0.2565, 0.2761] },
};

/**
 * The seed of every dataset split (test hold-out of `mnist`, `npy:` and flat `folder:` data): fixed and
 * recorded, never the training seed, so no seed ever trains on another seed's test images.
 */
export const SPLIT_SEED = 20261202;

/**
 * A deterministic, class-stratified subset of `n` images (for --limit, --test-images, --limit-train):
 * each class gets ⌊n·share⌋ images plus one for the classes with the largest remainders (ties → lower
 * class), drawn by a seeded shuffle within the class; indices keep their original order.
 * Returns the subset and how many images each class got.
 */
export function stratifiedSubset(s: ImageSet, n: number, seed = SPLIT_SEED): { set: ImageSet; perClass: Map<number, number>; indices: number[] } {
  const total = s.labels.length;
  const byClass = new Map<number, number[]>();
  s.labels.forEach((l, i) => {
    const list = byClass.get(l);
    if (list) list.push(i);
    else byClass.set(l, [i]);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  if (n >= total) return { set: s, perClass: new Map(classes.map((c) => [c, (byClass.get(c) as number[]).length])), indices: Array.from({ length: total }, (_, k) => k) };
  const quota = new Map<number, number>();
  const rema: { c: number; r: number }[] = [];
  let given = 0;
  for (const c of classes) {
    const exact = (n * (byClass.get(c) as number[]).length) / total;
    quota.set(c, Math.floor(exact));
    given += Math.floor(exact);
    rema.push({ c, r: exact - Math.floor(exact) });
  }
  rema.sort((a, b) => b.r - a.r || a.c - b.c);
  for (let k = 0; k < n - given; k++) quota.set(rema[k].c, (quota.get(rema[k].c) as number) + 1);
  const rand = prng(seed ^ 0x51ab5e7);
  const chosen: number[] = [];
  for (const c of classes) chosen.push(...shuffle([...(byClass.get(c) as number[])], rand).slice(0, quota.get(c)));
  chosen.sort((a, b) => a - b);
  return { set: subset(s, chosen), perClass: quota, indices: chosen };
}
