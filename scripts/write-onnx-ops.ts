/** Writes the README's list of supported ONNX ops from the op table (`npm run onnx-ops`). */
import { readFileSync, writeFileSync } from 'node:fs';
import { onnxOpsBlock, README_OPS_END, README_OPS_START } from '../src/formats/onnx/readmeOps.ts';

const file = new URL('../README.md', import.meta.url);
const text = readFileSync(file, 'utf8');
const a = text.indexOf(README_OPS_START);
const b = text.indexOf(README_OPS_END);
if (a < 0 || b < a) throw new Error(`README.md has no ${README_OPS_START} ... ${README_OPS_END} block`);
writeFileSync(file, text.slice(0, a + README_OPS_START.length) + '\n' + onnxOpsBlock() + '\n' + text.slice(b));
console.log('README.md: supported ONNX ops written');
