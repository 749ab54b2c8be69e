/**
 * numpy's legacy `RandomState` (MT19937), so that random corruptions seeded the same way reproduce the
 * reference generator bit for bit (corruptions.md §2.2): `seed(int)` is MT19937 init_genrand, doubles
 * take 53 bits from two words, Gaussians use the Marsaglia polar method with the cached second value,
 * randint is masked rejection, Poisson is multiplication below λ = 10 and Hörmann's PTRS above.
 */
export class NumpyRandomState {
  private readonly mt = new Uint32Array(624);
  private mti = 625;
  private hasGauss = false;
  private gaussCache = 0;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** np.random.seed(s) for an integer 0 ≤ s < 2³² (init_genrand; also clears the cached Gaussian). */
  seed(s: number): void {
    if (!Number.isInteger(s) || s < 0 || s > 0xffffffff) throw new RangeError(`seed must be an integer in [0, 2^32), got ${s}`);
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.mti = 624;
    this.hasGauss = false;
    this.gaussCache = 0;
  }

  /** genrand_int32 */
  nextUint32(): number {
    const mt = this.mt;
    if (this.mti >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k] & 0x80000000) | (mt[(k + 1) % 624] & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.mti = 0;
    }
    let y = mt[this.mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** random_sample: uniform [0, 1) with 53 random bits */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.random();
  }

  /** legacy_gauss: Marsaglia polar method, second value cached until the next call or reseed */
  standardNormal(): number {
    if (this.hasGauss) {
      this.hasGauss = false;
      return this.gaussCache;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.random() - 1;
      x2 = 2 * this.random() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * Math.log(r2)) / r2);
    this.gaussCache = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  normal(loc = 0, scale = 1): number {
    return loc + scale * this.standardNormal();
  }

  /** randint(low, high): high exclusive, masked rejection on 32-bit words */
  randint(low: number, high: number): number {
    const range = high - 1 - low;
    if (range < 0) throw new RangeError(`randint: low ${low} >= high ${high}`);
    if (range === 0) return low;
    let mask = range;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.nextUint32() & mask) >>> 0;
    while (v > range);
    return low + v;
  }

  /** legacy Poisson */
  poisson(lam: number): number {
    if (lam === 0) return 0;
    if (lam >= 10) return this.poissonPtrs(lam);
    const enlam = Math.exp(-lam);
    let x = 0;
    let prod = 1;
    for (;;) {
      prod *= this.random();
      if (prod > enlam) x += 1;
      else return x;
    }
  }

  private poissonPtrs(lam: number): number {
    const slam = Math.sqrt(lam);
    const loglam = Math.log(lam);
    const b = 0.931 + 2.53 * slam;
    const a = -0.059 + 0.02483 * b;
    const invalpha = 1.1239 + 1.1328 / (b - 3.4);
    const vr = 0.9277 - 3.6224 / (b - 2);
    for (;;) {
      const u = this.random() - 0.5;
      const v = this.random();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
      if (us >= 0.07 && v <= vr) return k;
      if (k < 0 || (us < 0.013 && v > us)) continue;
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - loggam(k + 1)) return k;
    }
  }

  /** The full generator state (for saving a search and resuming it exactly). */
  getState(): { mt: number[]; mti: number; hasGauss: boolean; gauss: number } {
    return { mt: Array.from(this.mt), mti: this.mti, hasGauss: this.hasGauss, gauss: this.gaussCache };
  }

  setState(s: { mt: number[]; mti: number; hasGauss: boolean; gauss: number }): void {
    if (s.mt.length !== 624) throw new RangeError('RandomState: mt must have 624 words');
    this.mt.set(s.mt);
    this.mti = s.mti;
    this.hasGauss = s.hasGauss;
    this.gaussCache = s.gauss;
  }

  /** C-order arrays, as numpy fills them */
  normalArray(n: number, loc = 0, scale = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = loc + scale * this.standardNormal();
    return out;
  }

  uniformArray(n: number, low = 0, high = 1): Float64Array {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * this.random();
    return out;
  }
}

const LOGGAM_A = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
];

/** numpy's legacy log-gamma (Stirling series with a shift below 7), used by PTRS. */
export function loggam(x: number): number {
  if (x === 1 || x === 2) return 0;
  let x0 = x;
  let n = 0;
  if (x <= 7) {
    n = Math.trunc(7 - x);
    x0 = x + n;
  }
  const x2 = 1 / (x0 * x0);
  let gl0 = LOGGAM_A[9];
  for (let k = 8; k >= 0; k--) gl0 = gl0 * x2 + LOGGAM_A[k];
  let gl = gl0 / x0 + 0.5 * Math.log(2 * Math.PI) + (x0 - 0.5) * Math.log(x0) - x0;
  if (x <= 7) {
    for (let k = 1; k <= n; k++) {
      gl -= Math.log(x0 - 1);
      x0 -= 1;
    }
  }
  return gl;
}

/** Any object with `random()` can drive the non-bit-exact paths; NumpyRandomState is the reference one. */
export type Rng = NumpyRandomState;

/** Seed for (global seed, corruption, severity, image index): subsets and parallel runs regenerate identically. */
export function deriveSeed(globalSeed: number, corruption: string, severity: number, index: number): number {
  // FNV-1a over the tuple, folded to 32 bits
  let h = 0x811c9dc5;
  const mix = (v: number) => {
    h ^= v & 0xff;
    h = Math.imul(h, 0x01000193) >>> 0;
  };
  for (const v of [globalSeed, severity, index]) for (let k = 0; k < 4; k++) mix(v >>> (8 * k));
  for (const ch of corruption) mix(ch.charCodeAt(0));
  return h >>> 0;
}
