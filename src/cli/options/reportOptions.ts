/** The options of `sharpness report`, once. */
import type { OptionTable } from './OptionTable.ts';

export const REPORT_OPTIONS = {
  results: { kind: 'string', describe: 'result files (JSON) written by the other commands', positional: true, array: true, demand: true },
  labels: {
    kind: 'string',
    describe: 'names of the checkpoints, comma-separated, in order of first appearance in the results (default: sidecar method or directory name)',
  },
  title: { kind: 'string', describe: 'title of the report' },
} as const satisfies OptionTable;
