import { VERSION } from '../version.ts';
import type { EngineInfo } from '../engine/backend.ts';
import { adapterLabel } from '../engine/adapterLabel.ts';
import { writeJsonAtomic } from '../io/atomicWrite.ts';
import type { ResultDocument } from './resultHeader.ts';
import { schemaFor } from './schemaTag.ts';

export type { CheckpointRef, DataRef, DocumentHeader, ResultCost, ResultDocument } from './resultHeader.ts';
export { schemaFor } from './schemaTag.ts';

export function engineRef(info: EngineInfo): ResultDocument['engine'] {
  const ref: ResultDocument['engine'] = { backend: info.backend, device: info.device, threads: info.threads, tfjsVersion: info.tfjsVersion };
  if (info.adapter) ref.adapter = adapterLabel(info.adapter);
  return ref;
}

export function makeResultDocument<R>(fields: Omit<ResultDocument<R>, 'tool' | 'schema'> & { schema?: string }): ResultDocument<R> {
  const { schema, ...rest } = fields;
  return { schema: schema ?? schemaFor(fields.command), tool: { name: 'sharpness', version: VERSION }, ...rest };
}

/** Writes the document atomically (temp file + rename), pretty-printed. */
export async function writeResultDocument(path: string, doc: ResultDocument): Promise<void> {
  await writeJsonAtomic(path, doc);
}
