// A worker thread of the BatchNorm recompute: tsx is registered per thread, then the TypeScript entry runs.
import { register } from 'tsx/esm/api';

register();
await import('./batchNormWorkerMain.ts');
