// A worker thread of --grad-chunk's training steps: tsx is registered per thread, then the TypeScript entry runs.
import { register } from 'tsx/esm/api';

register();
await import('./stepWorkerMain.ts');
