/**
 * Vega-Lite spec -> SVG, headless: vega-lite compiles the spec, a Vega view with no
 * renderer draws it to an SVG string. Text is measured with DejaVu Sans's own metrics (the
 * font the theme names and the PNG renderer embeds), so labels are laid out as they will
 * be drawn.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { dejaVuMetrics, textWidth } from './fonts.ts';

let measuring = false;

/** Makes Vega measure text with DejaVu Sans's advance widths (Node has no canvas to measure with). */
export function useFontMetrics(): void {
  if (measuring) return;
  const metrics = dejaVuMetrics();
  // vega-scenegraph (re-exported by vega, missing from its typings) supports a user-defined
  // width function; vl-convert uses the same hook.
  const { textMetrics } = vega as unknown as { textMetrics: { width: (item: { fontSize?: number | string }, text?: unknown) => number } };
  textMetrics.width = (item, text) => {
    const size = item.fontSize != null ? Number(item.fontSize) || 0 : 11;
    const s = text == null ? '' : String(text).trim();
    return size <= 0 || s === '' ? 0 : textWidth(s, size, metrics);
  };
  measuring = true;
}

/** A logger that keeps warnings (and errors) in `into` instead of printing them. */
function collectingLogger(into: string[]): vega.LoggerInterface {
  let level = 2; // warn
  const keep = (kind: string) =>
    function (this: vega.LoggerInterface, ...args: unknown[]) {
      into.push(`${kind}${args.map(String).join(' ')}`);
      return this;
    };
  const logger: vega.LoggerInterface = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error: keep('error: '),
    warn: keep(''),
    info() {
      return logger;
    },
    debug() {
      return logger;
    },
  };
  return logger;
}

/**
 * The Vega spec a Vega-Lite spec compiles to; throws what vega-lite throws. Warnings go to
 * `warnings` (not to the console).
 */
export function compileSpec(spec: TopLevelSpec, warnings: string[] = []): vega.Spec {
  return compile(spec, { logger: collectingLogger(warnings) }).spec as vega.Spec;
}

/** Renders a Vega-Lite spec to an SVG document (a string); compiler and runtime warnings go to `warnings`. */
export async function renderSvg(spec: TopLevelSpec, warnings: string[] = []): Promise<string> {
  useFontMetrics();
  const view = new vega.View(vega.parse(compileSpec(spec, warnings)), { renderer: 'none', logger: collectingLogger(warnings) });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
