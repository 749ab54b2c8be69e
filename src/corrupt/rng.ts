/**
 * numpy's legacy `RandomState` (MT19937), so that random corruptions seeded the same way reproduce the
 * reference generator bit for bit (corruptions.md §2.2): `seed(int)` is MT19937 init_genrand, doubles
 * take 53 bits from two words, Gaussians use the Marsaglia polar method with the cached second value,
 * randint is masked rejection, Poisson is multiplication below λ = 10 and Hörmann's PTRS above.
 */
import { BoundedMemo } from '../util/memo.js';
import { corruptionAddon } from './native.js';

// the addon's twist (integer arithmetic: the same words) when it is built; else the loop below
const addon = corruptionAddon();
const nativeTwist = addon ? addon.twist.bind(addon) : null;
/** [mti, hasGauss, gaussCache] handed to the addon's draws and read back (one thread per module instance) */
const STATE = new Float64Array(3);

const TWO_M53 = 1 / 9007199254740992;

function temper(x: number): number {
  let v = x ^ (x >>> 11);
  v ^= (v << 7) & 0x9d2c5680;
  v ^= (v << 15) & 0xefc60000;
  return v ^ (v >>> 18);
}
const TWO_M52 = 2 / 9007199254740992;

export class NumpyRandomState {
  // Int32Array, not Uint32Array: the bit operations stay in int32 registers (words read back with >>> 0);
  // one allocation for both (a typed array's backing store costs microseconds, one generator per image)
  private readonly words = new Int32Array(1248);
  private readonly mt = this.words.subarray(0, 624);
  /** the 624 tempered outputs of the current state block (tempering done once per twist, in bulk) */
  private readonly out = this.words.subarray(624);
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
    mt[0] = s;
    for (let i = 1; i < 624; i++) {
      const prev = mt[i - 1] ^ (mt[i - 1] >>> 30);
      mt[i] = Math.imul(1812433253, prev) + i;
    }
    this.mti = 624;
    this.hasGauss = false;
    this.gaussCache = 0;
  }

  /** MT19937's twist of the whole block (three loops, no modulo), tempering each new word as it is made */
  private twist(): void {
    if (nativeTwist) {
      nativeTwist(this.mt, this.out);
      this.mti = 0;
      return;
    }
    const mt = this.mt;
    const out = this.out;
    let k = 0;
    let cur = mt[0];
    for (; k < 227; k++) {
      const next = mt[k + 1];
      const y = (cur & 0x80000000) | (next & 0x7fffffff);
      const v = mt[k + 397] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
      mt[k] = v;
      out[k] = temper(v);
      cur = next;
    }
    for (; k < 623; k++) {
      const next = mt[k + 1];
      const y = (cur & 0x80000000) | (next & 0x7fffffff);
      const v = mt[k - 227] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
      mt[k] = v;
      out[k] = temper(v);
      cur = next;
    }
    const y = (cur & 0x80000000) | (mt[0] & 0x7fffffff);
    const v = mt[396] ^ (y >>> 1) ^ (-(y & 1) & 0x9908b0df);
    mt[623] = v;
    out[623] = temper(v);
    this.mti = 0;
  }

  /** the tempered outputs of the current block (after setState) */
  private temperAll(): void {
    for (let i = 0; i < 624; i++) this.out[i] = temper(this.mt[i]);
  }

  /** genrand_int32 */
  nextUint32(): number {
    if (this.mti >= 624) this.twist();
    return this.out[this.mti++] >>> 0;
  }

  /** random_sample: uniform [0, 1) with 53 random bits */
  random(): number {
    // × 2⁻⁵³ is exactly numpy's / 9007199254740992 (a power of two), and cheaper
    if (this.mti >= 623) return ((this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6)) * TWO_M53;
    const out = this.out;
    const i = this.mti;
    this.mti = i + 2;
    return ((out[i] >>> 5) * 67108864 + (out[i + 1] >>> 6)) * TWO_M53;
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

  /** runs one of the addon's draws on this generator's state */
  private native(a: NonNullable<typeof addon>, f: (a: NonNullable<typeof addon>, mt: Int32Array, words: Int32Array, st: Float64Array) => void): void {
    STATE[0] = this.mti;
    STATE[1] = this.hasGauss ? 1 : 0;
    STATE[2] = this.gaussCache;
    f(a, this.mt, this.out, STATE);
    this.mti = STATE[0];
    this.hasGauss = STATE[1] !== 0;
    this.gaussCache = STATE[2];
  }

  /**
   * A noise corruption's whole loop in the addon (kind 0 gaussian, 1 speckle, 2 shot; see native.ts):
   * false when the addon is not loaded (the caller runs its TypeScript loop, which gives the same values).
   */
  noiseNative(src: Uint8Array, out: Uint8Array | Float64Array, c: number, kind: 0 | 1 | 2): boolean {
    if (!addon) return false;
    this.native(addon, (a, mt, words, st) => a.noise(mt, words, st, src, out, c, kind));
    return true;
  }

  /** fog's plasma fractal in the addon (the draws of ops.ts's plasmaFractal); false without the addon */
  plasmaNative(out: Float64Array, n: number, wibbledecay: number): boolean {
    if (!addon) return false;
    this.native(addon, (a, mt, words, st) => a.plasma(mt, words, st, out, n, wibbledecay));
    return true;
  }

  /** glass_blur's pixel walk in the addon (randint(−d, d) for dx then dy per pixel); false without the addon */
  glassShuffleNative(img: Uint8Array, h: number, w: number, c: number, d: number, iterations: number): boolean {
    if (!addon) return false;
    this.native(addon, (a, mt, words, st) => a.glassShuffle(mt, words, st, img, h, w, c, d, iterations));
    return true;
  }

  /**
   * out[0..n) = standard normals in numpy's order (the same values as n standardNormal() calls, the cache
   * included): in the addon, else the polar loop with the generator's state in locals.
   */
  standardNormalFill(out: Float64Array, n = out.length): Float64Array {
    if (addon && n > 0) {
      this.native(addon, (a, mt, words, st) => a.normalFill(mt, words, st, out, n));
      return out;
    }
    let k = 0;
    if (n > 0 && this.hasGauss) {
      this.hasGauss = false;
      out[k++] = this.gaussCache;
    }
    const words = this.out;
    let i = this.mti;
    while (k < n) {
      if (i > 620) {
        // the next two doubles may straddle a twist: the scalar path
        this.mti = i;
        k = this.normalAcrossTwist(out, k, n);
        i = this.mti;
        continue;
      }
      // polar attempts while this block holds 4 more words; 2·(w·2⁻⁵³) − 1 as random() does, exactly
      const x1 = ((words[i] >>> 5) * 67108864 + (words[i + 1] >>> 6)) * TWO_M52 - 1;
      const x2 = ((words[i + 2] >>> 5) * 67108864 + (words[i + 3] >>> 6)) * TWO_M52 - 1;
      i += 4;
      const r2 = x1 * x1 + x2 * x2;
      if (r2 >= 1 || r2 === 0) continue;
      const f = Math.sqrt((-2 * Math.log(r2)) / r2);
      out[k++] = f * x2;
      if (k < n) out[k++] = f * x1;
      else {
        this.gaussCache = f * x1;
        this.hasGauss = true;
      }
    }
    this.mti = i;
    return out;
  }

  /** one standardNormal() pair into out at k (straddling the block end), the second value cached if out is full */
  private normalAcrossTwist(out: Float64Array, k: number, n: number): number {
    out[k++] = this.standardNormal();
    if (this.hasGauss && k < n) {
      this.hasGauss = false;
      out[k++] = this.gaussCache;
    }
    return k;
  }

  /** out[0..n) = random() draws in order (uniform [0, 1), 53 bits) */
  randomFill(out: Float64Array, n = out.length): Float64Array {
    if (addon && n > 0) {
      this.native(addon, (a, mt, words, st) => a.randomFill(mt, words, st, out, n));
      return out;
    }
    const words = this.out;
    let k = 0;
    while (k < n) {
      if (this.mti >= 623) {
        out[k++] = this.random();
        continue;
      }
      // as many as this block still holds
      let i = this.mti;
      const m = Math.min(n, k + ((624 - i) >> 1));
      for (; k < m; k++, i += 2) out[k] = ((words[i] >>> 5) * 67108864 + (words[i + 1] >>> 6)) * TWO_M53;
      this.mti = i;
    }
    return out;
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
    if (lam >= 10) return this.ptrs(lam, Math.sqrt(lam), Math.log(lam));
    return this.poissonMult(Math.exp(-lam));
  }

  /**
   * poisson((byte / 255) · c), with the λ-only terms (e^−λ, √λ, ln λ) looked up in a table per c: shot
   * noise draws one per value and a uint8 image has only 256 distinct λ. Same draws as poisson().
   */
  poissonOfByte(byte: number, c: number): number {
    const t = poissonTable(c);
    const lam = t.lam[byte];
    if (lam === 0) return 0;
    if (lam >= 10) return this.ptrs(lam, t.slam[byte], t.loglam[byte]);
    return this.poissonMult(t.enlam[byte]);
  }

  private poissonMult(enlam: number): number {
    let x = 0;
    let prod = 1;
    for (;;) {
      prod *= this.random();
      if (prod > enlam) x += 1;
      else return x;
    }
  }

  /** Hörmann's PTRS as numpy's legacy random_poisson_ptrs */
  private ptrs(lam: number, slam: number, loglam: number): number {
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
      if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - loggamInt(k + 1)) return k;
    }
  }

  /** The full generator state (for saving a search and resuming it exactly). */
  getState(): { mt: number[]; mti: number; hasGauss: boolean; gauss: number } {
    return { mt: Array.from(this.mt, (v) => v >>> 0), mti: this.mti, hasGauss: this.hasGauss, gauss: this.gaussCache };
  }

  setState(s: { mt: number[]; mti: number; hasGauss: boolean; gauss: number }): void {
    if (s.mt.length !== 624) throw new RangeError('RandomState: mt must have 624 words');
    this.mt.set(s.mt);
    this.temperAll();
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
    const out = this.randomFill(new Float64Array(n), n);
    for (let i = 0; i < n; i++) out[i] = low + (high - low) * out[i];
    return out;
  }
}

const LOGGAM_A = [
  8.333333333333333e-2, -2.777777777777778e-3, 7.936507936507937e-4, -5.952380952380952e-4, 8.417508417508418e-4,
  -1.917526917526918e-3, 6.41025641025641e-3, -2.955065359477124e-2, 1.796443723688307e-1, -1.3924322169059,
];

/** λ = (byte / 255) · c and its e^−λ, √λ, ln λ for the 256 byte values (the last few c kept). */
interface PoissonTable {
  lam: Float64Array;
  enlam: Float64Array;
  slam: Float64Array;
  loglam: Float64Array;
}
const poissonTables = new BoundedMemo<number, PoissonTable>(16);
// the table of the last c: asked for again and again in a row, checked before the memo's Map
let lastTable: { c: number; t: PoissonTable } | undefined;
function poissonTable(c: number): PoissonTable {
  if (lastTable?.c === c) return lastTable.t;
  const t = poissonTables.get(c, () => {
    const n = { lam: new Float64Array(256), enlam: new Float64Array(256), slam: new Float64Array(256), loglam: new Float64Array(256) };
    for (let v = 0; v < 256; v++) {
      const lam = (v / 255) * c;
      n.lam[v] = lam;
      n.enlam[v] = Math.exp(-lam);
      n.slam[v] = Math.sqrt(lam);
      n.loglam[v] = Math.log(lam);
    }
    return n;
  });
  lastTable = { c, t };
  return t;
}

/** loggam(n) for integers n ≥ 1, memoised (PTRS asks for loggam(k + 1) with small k again and again) */
const loggamMemo = new Float64Array(4096).fill(Number.NaN);
function loggamInt(n: number): number {
  if (n >= loggamMemo.length) return loggam(n);
  let v = loggamMemo[n];
  if (v !== v) v = loggamMemo[n] = loggam(n);
  return v;
}

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
