/** `sharpness backends`: which engines can run here, and the one --backend picks. */
import type { Argv } from 'yargs';
import type { CommandArgs } from '../command.ts';
import { Backend, type EngineInfo } from '../../engine/backend.ts';
import { detectBackends } from '../detectBackends.ts';
import { NATIVE_BACKEND_PACKAGE, webgpuInstallCommand } from '../../engine/backendNames.ts';
import { adapterLabel } from '../../engine/webgpu.ts';
import type { GlobalOptions } from '../globalOptions.ts';
import { printResult, startEngine } from '../output.ts';
import { applyOptions } from '../options/OptionTable.ts';
import { BACKENDS_OPTIONS } from '../options/backendsOptions.ts';

export const BACKENDS_SCHEMA = 'sharpness/backends@1';

/** The --json document. */
export interface BackendsResult {
  schema: typeof BACKENDS_SCHEMA;
  available: Backend[];
  engine: EngineInfo;
}

export const command = 'backends';
export const describe = 'list the engines installed here and initialise the one --backend picks';

export function builder(y: Argv<GlobalOptions>): Argv<GlobalOptions> {
  return applyOptions(y, BACKENDS_OPTIONS).example('$0 backends --backend wasm --json', 'check that the wasm engine starts; print JSON');
}

export async function handler(argv: CommandArgs): Promise<void> {
  const available = detectBackends();
  const engine = await startEngine(argv);
  const result: BackendsResult = { schema: BACKENDS_SCHEMA, available, engine };
  printResult(argv, result, () => formatBackends(available, engine));
}

const NOTES: Record<Exclude<Backend, 'auto'>, string> = {
  wasm: 'WebAssembly, single-threaded under Node',
  cpu: 'pure JavaScript, slow; the reference',
  webgpu: 'WebGPU through Dawn (Vulkan, Metal, D3D12); auto takes hardware adapters only',
  tensorflow: 'libtensorflow on the CPU',
  'tensorflow-gpu': 'libtensorflow on a CUDA GPU (CUDA 11.2, cuDNN 8)',
};

export function formatBackends(available: readonly Backend[], engine: EngineInfo): string {
  const rows = (Object.keys(NOTES) as Exclude<Backend, 'auto'>[]).map((b) => {
    if (!available.includes(b)) {
      const install =
        b === 'webgpu'
          ? webgpuInstallCommand(engine.tfjsVersion)
          : `npm install ${NATIVE_BACKEND_PACKAGE[b as keyof typeof NATIVE_BACKEND_PACKAGE]}@${engine.tfjsVersion}`;
      return `${b.padEnd(16)}${'not installed'.padEnd(15)}${install}`;
    }
    const inUse = b === engine.device;
    const note = inUse && engine.adapter ? `on ${adapterLabel(engine.adapter)}` : NOTES[b];
    return `${b.padEnd(16)}${(inUse ? 'in use' : 'available').padEnd(15)}${note}`;
  });
  return rows.join('\n');
}
