/**
 * The public API of sharpness (named exports only): the engine, the data and checkpoint
 * loaders, the Objective, the three widths of a minimum (also as independent items),
 * landscapes, the worker pool, reports and checks.
 * Every result is a typed object; the CLI is a thin layer over these.
 */
export { EngineError, ErrorKind, InputError, isSharpnessError, NumericError, SharpnessError, UsageError } from './errors.ts';
export { Backend, BACKENDS, describeEngine, initEngine, installHint, isBackend, type EngineInfo, type ModuleLoader } from './engine/backend.ts';
export { valueAndGrad, hessianVectorProduct } from './engine/autodiff.ts';
export * as paramVector from './engine/paramVector.ts';
export { createRng, type Rng } from './engine/rng.ts';

export { saveCheckpoint, type Sidecar } from './io/checkpoint.ts';
export { loadCheckpoint } from './formats/loadCheckpoint.ts';
export { type Checkpoint } from './formats/Checkpoint.ts';
export { loadDataset, type Dataset, type Targets } from './io/dataset.ts';
export { readNpy, writeNpy } from './io/npy.ts';
export { validateDataForModel } from './io/validateData.ts';
export type { ResultDocument } from './results/resultDocument.ts';

export { BnMode, type Objective, type Cost, type LossAndAccuracy } from './objective/Objective.ts';
export { createModelObjective, type ModelObjectiveOptions } from './objective/modelObjective.ts';
export { Loss, LOSSES } from './objective/losses.ts';
export { resolveLoss } from './objective/resolveLoss.ts';
export { createQuadraticObjective } from './objective/quadraticObjective.ts';
export { createLinearRegressionObjective } from './objective/linearRegressionObjective.ts';
export { createLogisticRegressionObjective } from './objective/logisticRegressionObjective.ts';

export { Hessian } from './hessian/Hessian.ts';
export { hvpOperator, type HvpOperator } from './hessian/HvpOperator.ts';
export { hessianReport, type HessianReport, type HessianOptions } from './hessian/hessianReport.ts';
export { ballSharpness, type BallOptions, type BallResult } from './sharpness/ballSharpness.ts';
export { flatVolume, type VolumeOptions, type VolumeResult } from './sharpness/flatVolume.ts';
export { Norm, normalizeDirection } from './directions/normalizeDirection.ts';

// The measures as independent items (any subset, in any order, in any process, assembles to
// the same result): for splitting work across threads, processes or machines.
export { hessianItemPlan, hessianItem, assembleHessianReport } from './hessian/hessianItems.ts';
export { ballPlan, createBallContext, ballItem, assembleBall } from './sharpness/ballItems.ts';
export { volumePlan, volumeItem, assembleVolume } from './sharpness/volumeItems.ts';
export { computeInWorkers, type PoolOptions } from './parallel/WorkerPool.ts';
export type { ItemJob, JobModule } from './parallel/ItemJob.ts';
export { parseShard, shardIndices, type Shard } from './parallel/shard.ts';

export { createLandscape } from './landscape/createLandscape.ts';

export * from './check/index.ts';
