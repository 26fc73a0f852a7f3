/** `sharpness/evaluate@1`: loss and accuracy of checkpoints on data, and of their ensemble. */
import { resultDocumentSchema } from './resultHeader.ts';
import { array, float, integer, nullable, object, string, type Infer } from './schema.ts';

export const EVALUATE_TAG = 'sharpness/evaluate@1';

export const evaluateResultSchema = object({
  models: array(object({ checkpoint: string(), sha256: string(), loss: float(), accuracy: nullable(float()) })),
  /** With --ensemble: the averaged predictions' scores. */
  ensemble: nullable(object({ loss: float(), accuracy: nullable(float()), members: integer(2) })),
});
export type EvaluateResult = Infer<typeof evaluateResultSchema>;

export const evaluateDocumentSchema = resultDocumentSchema(EVALUATE_TAG, 'evaluate', evaluateResultSchema);
