/** Schema tags: "sharpness/<name>@<major>". */

/** 'sharpness/hessian@1' -> {command: 'hessian', major: 1}; null when not a schema tag. */
export function parseSchemaTag(schema: unknown): { command: string; major: number } | null {
  if (typeof schema !== 'string') return null;
  const m = /^sharpness\/([a-z][a-z0-9-]*)@(\d+)$/.exec(schema);
  return m ? { command: m[1]!, major: Number(m[2]) } : null;
}

/** The tag of a command's result document. */
export function schemaFor(command: string, major = 1): string {
  return `sharpness/${command}@${major}`;
}
