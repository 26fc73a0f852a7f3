/** Samples per chunk by default: large enough to amortise per-op dispatch, small enough for HVP memory. */
export const DEFAULT_BATCH_SIZE = 1000;
