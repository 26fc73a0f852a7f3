import { createRequire } from 'node:module';

/** The tool's version, from package.json; recorded in every result. */
export const VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
