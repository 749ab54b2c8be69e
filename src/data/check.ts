/**
 * Dataset structure checks, one place for every verb: a training set needs at least two classes, an
 * image of every class, at least one image per class and per batch, and images no smaller than the model
 * takes; a train/test pair must agree on classes and image size.
 */
import { ActbenchError } from '../errors.js';
import { classCounts, formatClassCounts, type DatasetSplits, type ImageSet } from './dataset.js';

/** A set used for training or evaluation has at least two classes (a one-class "benchmark" scores 100 %). */
export function checkClasses(set: ImageSet, file?: string): void {
  const present = new Set(set.labels).size;
  if (set.numClasses < 2 || present < 2) {
    const which = set.classNames?.length === 1 ? ` ('${set.classNames[0]}')` : '';
    throw new ActbenchError('DATA_ONE_CLASS', `${set.name}: ${present} class${present === 1 ? '' : 'es'}${which} with images, a classification dataset needs at least 2`, { file, field: 'classes' });
  }
}

/** The test set of a split holds the training set's classes (by name when named) and its image size. */
export function checkSplitPair(ds: Pick<DatasetSplits, 'train' | 'test'>, trainFile?: string, testFile?: string): void {
  const { train, test } = ds;
  if (train.classNames && test.classNames) {
    const a = new Set(train.classNames);
    const b = new Set(test.classNames);
    const onlyTrain = train.classNames.filter((c) => !b.has(c));
    const onlyTest = test.classNames.filter((c) => !a.has(c));
    if (onlyTrain.length || onlyTest.length) {
      const show = (xs: string[]) => (xs.length > 8 ? `${xs.slice(0, 8).join(', ')} … (${xs.length})` : xs.join(', '));
      const parts = [onlyTrain.length ? `only in ${trainFile ?? train.name}: ${show(onlyTrain)}` : '', onlyTest.length ? `only in ${testFile ?? test.name}: ${show(onlyTest)}` : ''].filter(Boolean);
      throw new ActbenchError('DATA_CLASS_MISMATCH', `the train and test sets must have the same class folders (labels follow the sorted names); ${parts.join('; ')}`, { file: testFile ?? trainFile, field: 'classes' });
    }
  }
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new ActbenchError(
      'DATA_SIZE_MISMATCH',
      `the test images are ${test.height}×${test.width}×${test.channels}, the training images ${train.height}×${train.width}×${train.channels}`,
      { file: testFile ?? trainFile, field: 'shape' },
    );
  }
  const bad = test.labels.findIndex((l) => l >= train.numClasses);
  if (bad >= 0) throw new ActbenchError('DATA_CLASS_MISMATCH', `test label ${test.labels[bad]} at index ${bad} is not a class of the training set (0..${train.numClasses - 1})`, { file: testFile, field: `labels[${bad}]` });
}

export interface TrainableOptions {
  /** the smallest height and width the model takes (e.g. what its poolings need) */
  minSide?: number;
  /** the training batch size: fewer images than one batch is refused */
  batch?: number;
  /** named in messages (the dataset's file or folder) */
  file?: string;
}

/**
 * Refuse a set that cannot train a classifier honestly; returns the images per class (for the caller to
 * print, e.g. after --limit-train).
 */
export function checkTrainable(set: ImageSet, o: TrainableOptions = {}): number[] {
  checkClasses(set, o.file);
  const counts = classCounts(set);
  const n = set.labels.length;
  if (o.minSide !== undefined && Math.min(set.height, set.width) < o.minSide) {
    throw new ActbenchError('DATA_TOO_SMALL', `${set.name}: images are ${set.height}×${set.width}, the model needs at least ${o.minSide}×${o.minSide}`, { file: o.file, field: 'shape' });
  }
  if (n < set.numClasses) {
    throw new ActbenchError('DATA_TOO_FEW', `${set.name}: ${n} training images for ${set.numClasses} classes; give at least one image per class (per class: ${formatClassCounts(set, counts)})`, { file: o.file, field: 'data' });
  }
  const empty = counts.findIndex((c) => c === 0);
  if (empty >= 0) {
    throw new ActbenchError('DATA_CLASS_EMPTY', `${set.name}: class ${set.classNames?.[empty] ?? empty} has no training images (per class: ${formatClassCounts(set, counts)})`, { file: o.file, field: 'data' });
  }
  if (o.batch !== undefined && n < o.batch) {
    throw new ActbenchError('DATA_TOO_FEW', `${set.name}: ${n} training images, fewer than one batch of ${o.batch}; lower --batch or give more images`, { file: o.file, field: 'batch' });
  }
  return counts;
}
