/** TF.js attributes such as strides come as a number or an [h, w] pair. */
export function pair(v: unknown, fallback = 1): [number, number] {
  if (Array.isArray(v)) return [v[0] as number, (v[1] ?? v[0]) as number];
  return typeof v === 'number' ? [v, v] : [fallback, fallback];
}
