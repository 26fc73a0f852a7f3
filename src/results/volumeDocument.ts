/**
 * `sharpness/volume@1`: the log volume of the region around a solution where the loss stays
 * within delta of its value, from random directions (sharpness/flatVolume.ts computes it).
 */
import { IGNORES, NORMS } from '../directions/normalizeDirection.ts';
import { resultDocumentSchema } from './resultHeader.ts';
import { array, boolean, extend, float, integer, number, object, oneOf, string, tuple, written, type Infer } from './schema.ts';

export const VOLUME_TAG = 'sharpness/volume@1';

export const quantilesSchema = object({ p05: float(), p25: float(), p50: float(), p75: float(), p95: float() });
export type Quantiles = Infer<typeof quantilesSchema>;

export const censoredSchema = object({
  count: integer(0),
  /** Indices (into radii) of the directions censored at maxRadius. */
  indices: array(integer(0)),
});
export type Censored = Infer<typeof censoredSchema>;

export const volumeEstimateSchema = object({
  /** Number of coordinates the directions move. */
  dimension: integer(0),
  logVolume: float(),
  logVolumeCI: tuple(float(), float()),
  /** r(u_i), direction order. */
  radii: written(array(float())),
  censored: written(censoredSchema),
  quantiles: written(quantilesSchema),
  /** exp(mean log r_i). */
  geometricMeanRadius: written(float()),
  /** True when some radius is censored: logVolume is then a lower bound even for these directions. */
  lowerBound: boolean(),
});
export type VolumeEstimate = Infer<typeof volumeEstimateSchema>;

export const layerVolumeSchema = extend(volumeEstimateSchema, {
  layer: string(),
  /** Block indices of the layer. */
  blocks: array(integer(0)),
});
export type LayerVolume = Infer<typeof layerVolumeSchema>;

export const volumeResultSchema = extend(
  volumeEstimateSchema,
  {
    delta: number(),
    baseLoss: float(),
    confidence: number(),
    directions: integer(1),
    tolerance: written(number()),
    maxRadius: written(number()),
    initialRadius: written(number()),
    norm: oneOf(NORMS),
    ignore: written(array(oneOf(IGNORES))),
    bootstrap: written(integer(1)),
    seed: written(number()),
    cost: written(object({ lossEvaluations: integer(0) })),
  },
  { perLayer: array(layerVolumeSchema) },
);
export type VolumeResult = Infer<typeof volumeResultSchema>;

export const volumeDocumentSchema = resultDocumentSchema(VOLUME_TAG, 'volume', volumeResultSchema);
