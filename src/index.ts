/** The public API of sharpness (named exports only). */
export {
  EngineError,
  ErrorKind,
  InputError,
  isSharpnessError,
  NumericError,
  SharpnessError,
  UsageError,
} from './errors.ts';
export {
  Backend,
  BACKENDS,
  describeEngine,
  initEngine,
  installHint,
  isBackend,
  type EngineInfo,
  type ModuleLoader,
} from './engine/backend.ts';
