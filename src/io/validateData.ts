/**
 * Checks that a data set fits a model before any computation: one input and one output,
 * sample shape vs the input shape, classes vs output units, regression dimension vs
 * output units, and at least one sample. Messages name both shapes.
 */
import { InputError } from '../errors.ts';
import type { Dataset } from './makeDataset.ts';

function fmt(shape: readonly (number | null | undefined)[]): string {
  return `[${shape.map((d) => (d === null || d === undefined ? 'null' : String(d))).join(',')}]`;
}

/**
 * When the data is an image batch in the other channel order than the model's, how to
 * transpose it: models exported from PyTorch take NCHW, TensorFlow.js models NHWC.
 */
function layoutHint(sample: readonly number[], want: readonly (number | null)[]): string | null {
  if (sample.length !== 3 || want.length !== 3) return null;
  const [a, b, c] = sample as [number, number, number];
  const fits = (s: readonly number[]) => s.every((d, i) => want[i] === null || want[i] === d);
  if (fits([c, a, b])) {
    return 'the model takes channels first (NCHW, as PyTorch does) and the data is channels last (NHWC): transpose it, e.g. np.save(path, x.transpose(0, 3, 1, 2))';
  }
  if (fits([b, c, a])) {
    return 'the model takes channels last (NHWC, as TensorFlow.js does) and the data is channels first (NCHW): transpose it, e.g. np.save(path, x.transpose(0, 2, 3, 1))';
  }
  return null;
}

/** What data is checked against: a network's per-sample input and output shapes (no batch axis). */
export interface ModelShapes {
  readonly inputShape: readonly (number | null)[];
  readonly outputShape: readonly (number | null)[];
}

/** Throws InputError when `data` cannot be fed to `model` (see module comment). */
export function validateDataForModel(data: Dataset, model: ModelShapes): void {
  const spec = data.spec;
  if (!(data.n > 0)) throw new InputError(`data: ${spec} is empty; it needs at least one sample`);
  const inShape = model.inputShape;
  const sample = data.sampleShape;
  if (inShape.length !== sample.length || inShape.some((d, i) => d !== null && d !== sample[i])) {
    throw new InputError(
      `data: ${spec} has samples of shape ${fmt(sample)} but the model expects ${fmt(inShape)}; ${layoutHint(sample, inShape) ?? 'reshape the data or use a model whose input matches'}`,
    );
  }
  const perSample = sample.reduce((a, b) => a * b, 1);
  if (data.x.length !== data.n * perSample) {
    throw new InputError(`data: ${spec} has ${data.x.length} feature values, not n * prod(sampleShape) = ${data.n} * ${perSample}`);
  }
  const outShape = [null, ...model.outputShape];
  const outRest = model.outputShape;
  if (outRest.some((d) => d === null)) {
    throw new InputError(`data: the model's output shape ${fmt(outShape)} has an unknown dimension; expected [null,units]`);
  }
  const units = (outRest as number[]).reduce((a, b) => a * b, 1);
  const t = data.targets;
  if (t.kind === 'classes') {
    if (outRest.length !== 1) {
      throw new InputError(`data: ${spec} has class labels but the model's output shape is ${fmt(outShape)}; expected [null,units]`);
    }
    if (t.labels.length !== data.n) throw new InputError(`data: ${spec} has ${data.n} samples but ${t.labels.length} labels`);
    // One output unit is a binary classifier (sigmoid): labels 0 and 1.
    const maxClasses = units === 1 ? 2 : units;
    if (t.numClasses > maxClasses) {
      throw new InputError(
        `data: ${spec} has ${t.numClasses} classes but the model's output ${fmt(outShape)} has ${units} unit${units === 1 ? '' : 's'}; use a model with ${t.numClasses} outputs`,
      );
    }
    for (let i = 0; i < t.labels.length; i++) {
      const l = t.labels[i]!;
      if (!(l >= 0 && l < maxClasses)) {
        throw new InputError(
          `data: ${spec} has label ${l} at sample ${i}, outside [0, ${maxClasses}) for the model's output ${fmt(outShape)}`,
        );
      }
    }
  } else {
    if (t.values.length !== data.n * t.dim) {
      throw new InputError(`data: ${spec} has ${data.n} samples but ${t.values.length} target values (dim ${t.dim})`);
    }
    if (t.dim !== units) {
      throw new InputError(
        `data: ${spec} has regression targets of shape [${t.dim}] but the model's output is ${fmt(outShape)}; they must match`,
      );
    }
  }
}
