/**
 * The header every result document shares (DESIGN.md, "Contracts"): schema tag, tool,
 * command, options, seed, checkpoint(s), data, loss, BN mode, engine, and the cost. The
 * result itself is each document's own (see the modules beside this one).
 */
import { anyJson, array, extend, float, integer, literal, number, object, record, string, type Infer, type Schema } from './schema.ts';

export const checkpointRefSchema = object({ path: string(), sha256: string(), parameters: integer(0), trainableParameters: integer(0) });
/** What every result file says about the checkpoint it measured. */
export type CheckpointRef = Infer<typeof checkpointRefSchema>;

export const dataRefSchema = object({ spec: string(), samples: integer(0), sha256: string() });
export type DataRef = Infer<typeof dataRefSchema>;

export const resultCostSchema = object({ seconds: number(), lossEvaluations: integer(0), gradients: integer(0), hvps: integer(0) });
export type ResultCost = Infer<typeof resultCostSchema>;

export const engineRefSchema = object(
  { backend: string(), device: string(), threads: integer(0), tfjsVersion: string() },
  // webgpu only: the adapter the numbers came from (a software driver is not a GPU).
  { adapter: string() },
);
export type EngineRef = Infer<typeof engineRefSchema>;

/** The fields before `result`, and `cost`; `command` is free here, fixed by each document. */
export const headerSchema = object(
  {
    schema: string(),
    tool: object({ name: literal('sharpness'), version: string() }),
    command: string(),
    options: record(anyJson()),
    seed: number(),
    engine: engineRefSchema,
    cost: resultCostSchema,
  },
  {
    checkpoint: checkpointRefSchema,
    checkpoints: array(checkpointRefSchema),
    data: dataRefSchema,
    evalData: dataRefSchema,
    loss: string(),
    bn: string(),
    l2: float(),
  },
);
type Header = Infer<typeof headerSchema>;

/**
 * The result file of every command: enough to reproduce the run and to draw figures without
 * recomputing. Only `cost.seconds` varies between identical runs.
 */
export type ResultDocument<R = unknown> = Omit<Header, 'tool'> & { tool: { name: 'sharpness'; version: string }; result: R };

/** The fields of a result document besides schema, tool, command, result and cost. */
export type DocumentHeader = Omit<ResultDocument, 'schema' | 'tool' | 'command' | 'result' | 'cost'>;

/** The schema of a result document with tag `tag` whose result is `result`. */
export function resultDocumentSchema<R>(tag: string, command: string, result: Schema<R>): Schema<ResultDocument<R>> {
  return extend(headerSchema, { schema: literal(tag), command: literal(command), result }) as unknown as Schema<ResultDocument<R>>;
}

/** Any sharpness result document: the header and a result object (tags this version does not know). */
export const anyResultDocumentSchema = extend(headerSchema, { result: record(anyJson()) });
