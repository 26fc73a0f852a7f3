/**
 * The layer classes a Keras / TensorFlow.js model topology uses, and which of them
 * TensorFlow.js does not know, so a checkpoint with a custom or newer layer is rejected
 * with the class named, before any model is built.
 */
import { tf } from '../engine/tf.ts';

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Names of the classes registered with tfjs serialization (layers, models, initializers...). */
export function knownClassNames(): Set<string> {
  const map = (tf.serialization as unknown as {
    SerializationMap: { getMap(): { classNameMap: Record<string, unknown> } };
  }).SerializationMap.getMap().classNameMap;
  return new Set(Object.keys(map));
}

/**
 * Every layer (and model) class name in a topology: the root model, the layers of
 * Sequential and functional models (nested ones too), wrapped layers (TimeDistributed,
 * Bidirectional) and RNN cells. Initializers, regularizers and constraints are not layers
 * and are not listed.
 */
export function layerClassNames(modelTopology: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<unknown>();
  const visit = (node: unknown, depth: number): void => {
    if (!isObject(node) || seen.has(node) || depth > 64) return;
    seen.add(node);
    if (isObject(node['model_config'])) {
      visit(node['model_config'], depth + 1);
      return;
    }
    const cls = node['class_name'];
    if (typeof cls === 'string') out.push(cls);
    const config = node['config'];
    const children: unknown[] = [];
    if (Array.isArray(config)) children.push(...config); // old Keras Sequential: config is the layer list
    else if (isObject(config)) {
      if (Array.isArray(config['layers'])) children.push(...config['layers']);
      for (const k of ['layer', 'forward_layer', 'backward_layer', 'cell']) {
        const c = config[k];
        if (Array.isArray(c)) children.push(...c);
        else if (c !== undefined) children.push(c);
      }
      if (Array.isArray(config['cells'])) children.push(...config['cells']);
    }
    for (const c of children) visit(c, depth + 1);
  };
  visit(modelTopology, 0);
  return out;
}

/** Layer class names in `modelTopology` that TensorFlow.js does not know, each once, in order met. */
export function unknownLayerClasses(modelTopology: unknown): string[] {
  const known = knownClassNames();
  return [...new Set(layerClassNames(modelTopology).filter((c) => !known.has(c)))];
}
