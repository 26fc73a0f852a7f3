import { Backend, BACKENDS, NATIVE_BACKEND_PACKAGE, WEBGPU_PACKAGES } from '../engine/backendNames.ts';

/** Resolves a module specifier to a URL; throws when it cannot be found. Injected in tests. */
export type Resolver = (specifier: string) => string;

const defaultResolver: Resolver = (specifier) => import.meta.resolve(specifier);

/**
 * The backends that can be asked for by name, in --backend order: wasm and cpu always,
 * webgpu when its packages resolve (whether an adapter exists is only known by starting it),
 * tensorflow / tensorflow-gpu when their package is installed. Only resolves the
 * packages, never loads them (loading libtensorflow takes seconds, and a broken install
 * is reported by initEngine when the backend is actually used).
 */
export function detectBackends(resolve: Resolver = defaultResolver): Backend[] {
  return BACKENDS.filter((b) => {
    if (b === Backend.auto) return false;
    if (b === Backend.tensorflow || b === Backend.tensorflowGpu) return isResolvable(NATIVE_BACKEND_PACKAGE[b], resolve);
    if (b === Backend.webgpu) return WEBGPU_PACKAGES.every((p) => isResolvable(p, resolve));
    return true;
  });
}

function isResolvable(specifier: string, resolve: Resolver): boolean {
  try {
    resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
