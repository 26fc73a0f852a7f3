import { VERSION } from '../version.ts';
import type { EngineInfo } from '../engine/backend.ts';
import { writeJsonAtomic } from './atomicWrite.ts';

/** What every result file says about the checkpoint it measured. */
export interface CheckpointRef {
  path: string;
  sha256: string;
  parameters: number;
  trainableParameters: number;
}

export interface DataRef {
  spec: string;
  samples: number;
  sha256: string;
}

export interface ResultCost {
  seconds: number;
  lossEvaluations: number;
  gradients: number;
  hvps: number;
}

/**
 * The result file of every command (DESIGN.md, "Contracts"): enough to reproduce the run
 * and to draw figures without recomputing. Only `cost.seconds` varies between identical runs.
 */
export interface ResultDocument<R = unknown> {
  schema: string;
  tool: { name: 'sharpness'; version: string };
  command: string;
  options: Record<string, unknown>;
  seed: number;
  checkpoint?: CheckpointRef;
  checkpoints?: CheckpointRef[];
  data?: DataRef;
  evalData?: DataRef;
  loss?: string;
  bn?: string;
  l2?: number;
  engine: { backend: string; device: string; threads: number; tfjsVersion: string };
  result: R;
  cost: ResultCost;
}

/** The fields of a result document besides schema, tool, command, result and cost. */
export type DocumentHeader = Omit<ResultDocument, 'schema' | 'tool' | 'command' | 'result' | 'cost'>;

/** Schema tags are "sharpness/<command>@<major>". */
export function schemaFor(command: string, major = 1): string {
  return `sharpness/${command}@${major}`;
}

export function engineRef(info: EngineInfo): ResultDocument['engine'] {
  return { backend: info.backend, device: info.device, threads: info.threads, tfjsVersion: info.tfjsVersion };
}

export function makeResultDocument<R>(fields: Omit<ResultDocument<R>, 'tool' | 'schema'> & { schema?: string }): ResultDocument<R> {
  const { schema, ...rest } = fields;
  return { schema: schema ?? schemaFor(fields.command), tool: { name: 'sharpness', version: VERSION }, ...rest };
}

/** Writes the document atomically (temp file + rename), pretty-printed. */
export async function writeResultDocument(path: string, doc: ResultDocument): Promise<void> {
  await writeJsonAtomic(path, doc);
}
