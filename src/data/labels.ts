/**
 * Class labels read from files: integers in [0, 2³¹−1), never truncated or wrapped. A float label that is
 * not a whole number (0.7), an int64 beyond int32, a negative label or a non-numeric dtype is refused,
 * naming the file, the index and the value.
 */
import { ActbenchError } from '../errors.js';
import type { NpyData, NpyHeader } from './npy.js';

const INT32_MAX = 2 ** 31 - 1;

/** A float32 as its shortest decimal (0.7, not 0.699999988079071), the way numpy prints it. */
function shortest32(v: number): string {
  for (let p = 1; p <= 9; p++) if (Math.fround(Number(v.toPrecision(p))) === v) return String(Number(v.toPrecision(p)));
  return String(v);
}

const refuse = (file: string, i: number, v: number | bigint, why: string, dtype?: string): ActbenchError =>
  new ActbenchError('LABEL_BAD', `${file}: label ${dtype === 'float32' && typeof v === 'number' && Number.isFinite(v) ? shortest32(v) : String(v)} at index ${i} ${why}; labels must be class indices 0, 1, 2 …`, { file, field: `labels[${i}]` });

/** Labels of a .npy (1-D; integer dtypes, or floats holding whole numbers) as Int32Array. */
export function npyLabels(file: string, header: NpyHeader, data: NpyData): Int32Array {
  if (header.shape.length !== 1) {
    throw new ActbenchError('NPY_BAD_SHAPE', `${file}: labels of shape (${header.shape.join(', ')}), expected one dimension (N,)`, { file, field: 'shape' });
  }
  const out = new Int32Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v === 'bigint') {
      if (v < 0n) throw refuse(file, i, v, 'is negative');
      if (v > BigInt(INT32_MAX)) throw refuse(file, i, v, `is beyond the int32 range (≤ ${INT32_MAX})`);
      out[i] = Number(v);
      continue;
    }
    if (!Number.isFinite(v)) throw refuse(file, i, v, 'is not a finite number');
    if (!Number.isInteger(v)) throw refuse(file, i, v, `is not a whole number (${header.dtype} labels must hold integers)`, header.dtype);
    if (v < 0) throw refuse(file, i, v, 'is negative', header.dtype);
    if (v > INT32_MAX) throw refuse(file, i, v, `is beyond the int32 range (≤ ${INT32_MAX})`, header.dtype);
    out[i] = v;
  }
  return out;
}

/** Refuse labels ≥ the dataset's class count (idx, CIFAR and corrupted sets with a known count). */
export function checkLabelRange(file: string, labels: ArrayLike<number>, numClasses: number, code = 'LABEL_OUT_OF_RANGE'): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!(l >= 0 && l < numClasses)) {
      throw new ActbenchError(code, `${file}: label ${l} at index ${i} is outside 0..${numClasses - 1}`, { file, field: `labels[${i}]` });
    }
  }
}
