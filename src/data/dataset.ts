/** An in-memory labelled image set: uint8 pixels, NHWC, integer labels. */
export interface ImageSet {
  name: string;
  /** N·H·W·C bytes, row-major NHWC */
  images: Uint8Array;
  labels: Int32Array;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames?: string[];
}

export interface DatasetSplits {
  name: string;
  train: ImageSet;
  test: ImageSet;
  /** where the data came from, for manifests */
  source: string;
}

export const count = (s: ImageSet): number => s.labels.length;

/** A subset by indices (copies). */
export function subset(s: ImageSet, idx: ArrayLike<number>, name = s.name): ImageSet {
  const px = s.height * s.width * s.channels;
  const images = new Uint8Array(idx.length * px);
  const labels = new Int32Array(idx.length);
  for (let k = 0; k < idx.length; k++) {
    images.set(s.images.subarray(idx[k] * px, (idx[k] + 1) * px), k * px);
    labels[k] = s.labels[idx[k]];
  }
  return { ...s, name, images, labels };
}
