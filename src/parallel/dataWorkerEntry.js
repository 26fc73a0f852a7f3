// A worker thread of a data-parallel objective: tsx is registered per thread, then the TypeScript entry runs.
import { register } from 'tsx/esm/api';

register();
await import('./dataWorkerMain.ts');
