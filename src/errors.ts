/**
 * Typed errors. Every failure a user can cause is one of these; the CLI prints
 * `message` on one line and exits with `exitCode`, and a stack trace only with --debug.
 */
export const ErrorKind = {
  usage: 'usage', // bad or contradictory options
  input: 'input', // bad checkpoint, data, or result file
  engine: 'engine', // backend unavailable or an autodiff defect detected
  numeric: 'numeric', // NaN/Inf met during a measurement
  interrupted: 'interrupted',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

const EXIT_CODES: Record<ErrorKind, number> = {
  usage: 2,
  input: 2,
  engine: 3,
  numeric: 4,
  interrupted: 130,
};

export class SharpnessError extends Error {
  readonly kind: ErrorKind;
  readonly exitCode: number;
  constructor(kind: ErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SharpnessError';
    this.kind = kind;
    this.exitCode = EXIT_CODES[kind];
  }
}

export class UsageError extends SharpnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorKind.usage, message, options);
    this.name = 'UsageError';
  }
}

export class InputError extends SharpnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorKind.input, message, options);
    this.name = 'InputError';
  }
}

export class EngineError extends SharpnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorKind.engine, message, options);
    this.name = 'EngineError';
  }
}

export class NumericError extends SharpnessError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorKind.numeric, message, options);
    this.name = 'NumericError';
  }
}

export function isSharpnessError(e: unknown): e is SharpnessError {
  return e instanceof SharpnessError;
}
