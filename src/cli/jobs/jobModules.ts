/**
 * The job module of each item command (see parallel/ItemJob.ts), by command name: what
 * `sharpness merge` loads to combine that command's shards. Only names listed here are
 * ever imported, whatever a shard file says.
 */
export const JOB_MODULES: Readonly<Record<string, string>> = {
  volume: new URL('./volumeJob.ts', import.meta.url).href,
  hessian: new URL('./hessianJob.ts', import.meta.url).href,
  ball: new URL('./ballJob.ts', import.meta.url).href,
  landscape: new URL('./landscapeJob.ts', import.meta.url).href,
};
