/** Typed access to a node's attributes, with defaults and one-line errors. */
import type onnxProto from 'onnx-proto';
import { toNumber } from './tensorProto.ts';

type AttributeProto = onnxProto.onnx.IAttributeProto;

export class Attributes {
  private readonly byName = new Map<string, AttributeProto>();
  constructor(list: readonly AttributeProto[] | null | undefined) {
    for (const a of list ?? []) if (a.name) this.byName.set(a.name, a);
  }
  has(name: string): boolean {
    return this.byName.has(name);
  }
  names(): string[] {
    return [...this.byName.keys()];
  }
  int(name: string, def: number): number {
    const a = this.byName.get(name);
    return a ? toNumber(a.i) : def;
  }
  float(name: string, def: number): number {
    const a = this.byName.get(name);
    return a ? (a.f ?? 0) : def;
  }
  ints(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? (a.ints ?? []).map((v) => toNumber(v)) : undefined;
  }
  floats(name: string): number[] | undefined {
    const a = this.byName.get(name);
    return a ? [...(a.floats ?? [])] : undefined;
  }
  string(name: string, def: string): string {
    const a = this.byName.get(name);
    return a?.s ? new TextDecoder().decode(a.s) : def;
  }
  tensor(name: string): onnxProto.onnx.ITensorProto | undefined {
    return this.byName.get(name)?.t ?? undefined;
  }
}
