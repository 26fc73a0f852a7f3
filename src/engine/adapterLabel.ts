/** What a WebGPU adapter says it is, and the one-line name engine lines and result files give it. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader, or Dawn's fallback adapter): never picked by auto. */
  software: boolean;
}

/** "mesa software: llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)": vendor, architecture, then the adapter's own name. */
export function adapterLabel(a: Omit<AdapterInfo, 'software'> & { software?: boolean }): string {
  const kind = [a.vendor, a.architecture].filter((s) => s !== '').join(' ') || 'unknown adapter';
  const name = (a.description || a.device).replace(/\s+\d+(\.\d+)*$/, '');
  return name ? `${kind}: ${name}` : kind;
}
