// A worker thread of the pool: tsx is registered per thread, then the TypeScript entry runs.
import { register } from 'tsx/esm/api';

register();
await import('./workerMain.ts');
