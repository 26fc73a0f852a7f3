/** The options of `sharpness backends`, once: none but the global ones. */
import type { OptionTable } from './OptionTable.ts';

export const BACKENDS_OPTIONS = {} as const satisfies OptionTable;
