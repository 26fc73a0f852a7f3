import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Which checkpoint format a path holds, from what is there (never from its contents):
 * an .onnx file, or a directory with one .onnx file and no model.json, is 'onnx';
 * everything else is left to the layers-model loader, whose errors name what is missing.
 */
export function checkpointFormatOf(p: string): 'onnx' | 'layers-model' {
  let st: fs.Stats;
  try {
    st = fs.statSync(p);
  } catch {
    return 'layers-model';
  }
  if (st.isFile()) return p.toLowerCase().endsWith('.onnx') ? 'onnx' : 'layers-model';
  if (!st.isDirectory()) return 'layers-model';
  let names: string[];
  try {
    names = fs.readdirSync(p);
  } catch {
    return 'layers-model';
  }
  if (names.includes('model.json')) return 'layers-model';
  return names.some((n) => path.extname(n).toLowerCase() === '.onnx') ? 'onnx' : 'layers-model';
}
