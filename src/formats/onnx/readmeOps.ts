import { SUPPORTED_OPS } from './opTable.ts';

export const README_OPS_START = '<!-- onnx-ops:start -->';
export const README_OPS_END = '<!-- onnx-ops:end -->';

/** The README's list of supported ops: every op of the table, sorted, in backticks. */
export function onnxOpsBlock(): string {
  return [...SUPPORTED_OPS].sort().map((op) => `\`${op}\``).join(', ');
}
