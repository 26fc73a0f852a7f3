// Preloaded by bench/memory.bench.ts (node --import): writes the process's peak RSS in MiB
// (every thread: worker threads share the process) to $SHARPNESS_PEAK_RSS_FILE at exit.
import { writeFileSync } from 'node:fs';

const file = process.env.SHARPNESS_PEAK_RSS_FILE;
if (file) process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS / 1024)));
