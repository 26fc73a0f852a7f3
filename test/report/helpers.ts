/** Test helpers of the report: the Vega-Lite schema validator, mark counting, temp dirs, chromium. */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import AjvModule from 'ajv';
import type { ErrorObject } from 'ajv';

const require = createRequire(import.meta.url);

type Validate = ((data: unknown) => boolean) & { errors?: ErrorObject[] | null };

let validator: Validate | undefined;

/** Validates against node_modules/vega-lite/build/vega-lite-schema.json (JSON Schema draft-07). */
export function vegaLiteValidator(): Validate {
  if (validator) return validator;
  const schemaPath = require.resolve('vega-lite/vega-lite-schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as object;
  // ajv is CommonJS: under ESM its class is the default export's `default` (or the default export itself).
  const Ajv = ((AjvModule as unknown as { default?: unknown }).default ?? AjvModule) as new (opts: object) => {
    compile(schema: object): Validate;
  };
  const ajv = new Ajv({ strict: false, allErrors: false, allowUnionTypes: true, validateFormats: false });
  validator = ajv.compile(schema);
  return validator;
}

/** The schema errors of `spec`, as short lines; empty when valid. */
export function schemaErrors(spec: unknown): string[] {
  const v = vegaLiteValidator();
  if (v(spec)) return [];
  return (v.errors ?? []).slice(0, 5).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** How many marks of each kind an SVG rendered by Vega holds, by their aria role description. */
export function countMarks(svg: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of svg.matchAll(/aria-roledescription="([^"]+)"/g)) counts[m[1]!] = (counts[m[1]!] ?? 0) + 1;
  return counts;
}

/** Text of every <text> element of an SVG. */
export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

export function tempDir(prefix = 'sharpness-report-'): Promise<string> {
  return mkdtemp(path.join(tmpdir(), prefix));
}

/** The Chromium binary (Debian's `chromium`), or null when not installed. */
export function chromiumPath(): string | null {
  for (const p of [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean) as string[]) {
    if (existsSync(p)) return p;
  }
  return null;
}
