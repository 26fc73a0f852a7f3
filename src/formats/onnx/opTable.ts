/**
 * The one table of supported ONNX ops (default domain, opsets 13-17; older opsets where the
 * node-suite cases need them): implementation and which input slots hold trainable
 * parameters or BatchNorm running statistics when fed by a float initializer.
 */
import * as ew from './ops/elementwise.ts';
import * as sh from './ops/shapeOps.ts';
import * as nn from './ops/nnOps.ts';
import type { OpFn } from './ops/elementwise.ts';

export interface OpSpec {
  run: OpFn;
  /** Input slots whose float initializers are trainable parameters. */
  paramSlots?: readonly number[];
  /** Input slots whose float initializers are state (BatchNorm running mean / var). */
  stateSlots?: readonly number[];
}

const ARITH = [0, 1] as const;

export const OP_TABLE: Readonly<Record<string, OpSpec>> = {
  // network layers
  Conv: { run: nn.Conv, paramSlots: [1, 2] },
  BatchNormalization: { run: nn.BatchNormalization, paramSlots: [1, 2], stateSlots: [3, 4] },
  LayerNormalization: { run: nn.LayerNormalization, paramSlots: [1, 2] },
  Gemm: { run: nn.Gemm, paramSlots: [0, 1, 2] },
  MatMul: { run: nn.MatMul, paramSlots: [0, 1] },
  MaxPool: { run: nn.MaxPool },
  AveragePool: { run: nn.AveragePool },
  GlobalAveragePool: { run: nn.GlobalAveragePool },
  GlobalMaxPool: { run: nn.GlobalMaxPool },
  Softmax: { run: nn.Softmax },
  LogSoftmax: { run: nn.LogSoftmax },
  ReduceSum: { run: nn.ReduceSum },
  ReduceMean: { run: nn.ReduceMean },
  ReduceMax: { run: nn.ReduceMax },
  Pad: { run: nn.Pad },
  // elementwise
  ...Object.fromEntries(Object.entries(ew.UNARY_OPS).map(([k, run]) => [k, { run }])),
  PRelu: { run: ew.PRelu, paramSlots: [1] },
  Add: { run: ew.BINARY_OPS['Add']!, paramSlots: ARITH },
  Sub: { run: ew.BINARY_OPS['Sub']!, paramSlots: ARITH },
  Mul: { run: ew.BINARY_OPS['Mul']!, paramSlots: ARITH },
  Div: { run: ew.BINARY_OPS['Div']! },
  Equal: { run: ew.BINARY_OPS['Equal']! },
  Less: { run: ew.BINARY_OPS['Less']! },
  Greater: { run: ew.BINARY_OPS['Greater']! },
  Pow: { run: ew.Pow },
  Clip: { run: ew.Clip },
  Where: { run: ew.Where },
  Cast: { run: ew.Cast },
  Identity: { run: ew.Identity },
  Dropout: { run: ew.Dropout },
  // shapes and selection
  Shape: { run: sh.Shape },
  Reshape: { run: sh.Reshape },
  Flatten: { run: sh.Flatten },
  Transpose: { run: sh.Transpose },
  Concat: { run: sh.Concat },
  Unsqueeze: { run: sh.Unsqueeze },
  Squeeze: { run: sh.Squeeze },
  Slice: { run: sh.Slice },
  Split: { run: sh.Split },
  Gather: { run: sh.Gather, paramSlots: [0] },
  Expand: { run: sh.Expand },
  Constant: { run: sh.Constant },
  ConstantOfShape: { run: sh.ConstantOfShape },
  Range: { run: sh.Range },
};

export const SUPPORTED_OPS: readonly string[] = Object.keys(OP_TABLE).sort();
