/** Kernels the wasm backend lacks or gets wrong (placeholder; filled in by the wasm-kernels work). */
export function installWasmKernels(): void {}
