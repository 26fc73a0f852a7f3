/** `npm run schemas`: writes schemas/*.schema.json from src/results (the files the package ships). */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { jsonSchemaFiles } from '../src/results/jsonSchemaFiles.ts';

const dir = fileURLToPath(new URL('../schemas/', import.meta.url));
mkdirSync(dir, { recursive: true });
const files = jsonSchemaFiles();
for (const f of readdirSync(dir)) if (f.endsWith('.schema.json') && !files.has(f)) rmSync(`${dir}${f}`);
for (const [name, text] of files) writeFileSync(`${dir}${name}`, text);
console.log(`schemas: ${files.size} files in ${dir}`);
