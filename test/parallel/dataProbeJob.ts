/**
 * A job module for the shared-data tests: opens an analysis the way the measuring jobs do
 * (openAnalysisFor, no data handed in) and reports, per item, what the worker's data is:
 * whether it lives in shared memory, its first value (the test writes a sentinel there in
 * the main thread after loading), how many datasets this thread loaded itself, and the loss.
 */
import { openAnalysisFor, type AnalysisSpec } from '../../src/analysis/openAnalysis.ts';
import { datasetLoads } from '../../src/parallel/poolDatasets.ts';

export interface DataProbeRecord {
  shared: boolean;
  first: number;
  loads: number;
  loss: number;
}

export async function openJob(spec: AnalysisSpec) {
  const a = await openAnalysisFor(spec);
  return {
    compute(): DataProbeRecord {
      return { shared: a.data.x.buffer instanceof SharedArrayBuffer, first: a.data.x[0]!, loads: datasetLoads(), loss: a.objective.loss(a.objective.params) };
    },
    dispose: () => a.dispose(),
  };
}
