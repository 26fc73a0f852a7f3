/**
 * `sharpness merge SHARD.json... --out FILE`: combines the shard documents written with
 * --shard k/n into the document a single run writes (equal to it but for cost.seconds).
 * Shards must come from the same computation (same fingerprint) and hold every item
 * exactly once; what is missing or duplicated is named.
 */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { applyOptions, type ArgsOf } from '../options/OptionTable.ts';
import { MERGE_OPTIONS } from '../options/mergeOptions.ts';
import { note, printResult } from '../output.ts';
import { InputError, UsageError } from '../../errors.ts';

export const command = 'merge <shards..>';
export const describe = 'combine the shards of a computation run with --shard k/n into its result';

type MergeCliOptions = ArgsOf<typeof MERGE_OPTIONS>;

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions & MergeCliOptions> {
  return applyOptions(y, MERGE_OPTIONS).example('$0 merge part1.json part2.json part3.json --out plane.json', 'the plane computed in three shards');
}

/** A shard named on the command line, read like every input (io/safeRead.ts): a FIFO cannot hang merge. */
async function readJson(file: string): Promise<unknown> {
  const { MAX_BYTES, readInputTextSync } = await import('../../io/safeRead.ts');
  const text = readInputTextSync(file, { what: 'merge', maxBytes: MAX_BYTES.resultJson });
  const { parseJsonText } = await import('../../io/parseJsonText.ts');
  return parseJsonText(text, file, 'merge: ');
}

export async function handler(argv: CommandArgs<MergeCliOptions>): Promise<void> {
  const files = argv.shards ?? [];
  if (files.length === 0) throw new UsageError('merge: give the shard documents to combine');
  const { guardOutput } = await import('../../io/inputPaths.ts');
  guardOutput('merge', argv.out === undefined ? undefined : { kind: 'file', path: argv.out }, { files });
  const { writeResultDocument } = await import('../../results/resultDocument.ts');
  const parsed = await Promise.all(files.map(async (f) => ({ name: f, value: await readJson(f) })));
  const { shardCommandOf, parseShardDocument, mergeShards } = await import('../../parallel/itemDocuments.ts');
  const { JOB_MODULES } = await import('../jobs/jobModules.ts');
  const { tagOf } = await import('../../results/resultDocuments.ts');
  // Own keys only: a shard whose command is 'constructor' must not find Object.prototype's.
  const bad = parsed.find((p) => {
    const k = shardCommandOf(p.value);
    return k === null || !Object.hasOwn(JOB_MODULES, k);
  });
  if (bad) {
    const known = Object.keys(JOB_MODULES).map((c) => `${c}-shard`).join(', ');
    throw new InputError(`merge: ${bad.name} is not a shard document (schema ${String(tagOf(bad.value))}; known: ${known})`);
  }
  const kinds = new Set(parsed.map((p) => shardCommandOf(p.value)!));
  if (kinds.size > 1) throw new InputError(`merge: the files are shards of different commands (${[...kinds].join(', ')})`);
  const kind = [...kinds][0]!;
  // Shards of earlier versions (e.g. the landscape's own format) are read through the module's `upgrade`.
  const module = (await import(JOB_MODULES[kind]!)) as import('../../parallel/ItemJob.ts').JobModule;
  const doc = mergeShards(parsed.map((p) => ({ name: p.name, doc: parseShardDocument(p.value, p.name, module) })), module);
  const merged = { doc, text: () => module.format(doc.result) };
  if (argv.out !== undefined) {
    await writeResultDocument(argv.out, merged.doc);
    note(argv, `merge: ${files.length} shard${files.length === 1 ? '' : 's'} combined into ${argv.out}`);
  }
  printResult(argv, merged.doc, merged.text);
}
