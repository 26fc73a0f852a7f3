/**
 * The font every figure is drawn with: DejaVu Sans from the dejavu-fonts-ttf package, so
 * neither PNG rendering nor text layout depends on the fonts installed on the machine.
 * `textWidth` measures strings from the font's own advance widths (the TrueType `hmtx`
 * table), so Vega lays text out in Node as a browser does with the same font.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { FONT_FAMILY } from './theme.ts';

export { FONT_FAMILY };

const require = createRequire(import.meta.url);

/** Directory of the package's TrueType files. */
export function fontDirectory(): string {
  return path.join(path.dirname(require.resolve('dejavu-fonts-ttf/package.json')), 'ttf');
}

/** The regular face, which every text in a figure uses. */
export function regularFontFile(): string {
  return path.join(fontDirectory(), 'DejaVuSans.ttf');
}

/** The faces given to the PNG renderer (regular, bold, oblique) so any weight a user asks for still renders. */
export function fontFiles(): string[] {
  return ['DejaVuSans.ttf', 'DejaVuSans-Bold.ttf', 'DejaVuSans-Oblique.ttf', 'DejaVuSans-BoldOblique.ttf'].map((f) =>
    path.join(fontDirectory(), f),
  );
}

/** Advance widths of a TrueType font, in em units, by code point. */
export interface FontMetrics {
  advance(codePoint: number): number;
}

/** Reads the advance width of every mapped code point from a TrueType font (cmap format 4 or 12, hmtx). */
export function parseFontMetrics(bytes: Uint8Array): FontMetrics {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = new Map<string, number>();
  const numTables = view.getUint16(4);
  for (let i = 0; i < numTables; i++) {
    const rec = 12 + 16 * i;
    const tag = String.fromCharCode(view.getUint8(rec), view.getUint8(rec + 1), view.getUint8(rec + 2), view.getUint8(rec + 3));
    tables.set(tag, view.getUint32(rec + 8));
  }
  const need = (tag: string): number => {
    const at = tables.get(tag);
    if (at === undefined) throw new Error(`fonts: the font has no '${tag}' table`);
    return at;
  };
  const unitsPerEm = view.getUint16(need('head') + 18);
  const numberOfHMetrics = view.getUint16(need('hhea') + 34);
  const hmtx = need('hmtx');
  const glyphAdvance = (glyph: number) => view.getUint16(hmtx + 4 * Math.min(glyph, numberOfHMetrics - 1)) / unitsPerEm;

  const cmap = need('cmap');
  let sub4 = -1;
  let sub12 = -1;
  for (let i = 0; i < view.getUint16(cmap + 2); i++) {
    const rec = cmap + 4 + 8 * i;
    const platform = view.getUint16(rec);
    const encoding = view.getUint16(rec + 2);
    const offset = cmap + view.getUint32(rec + 4);
    const format = view.getUint16(offset);
    if (format === 12 && (platform === 3 || platform === 0)) sub12 = offset;
    if (format === 4 && ((platform === 3 && encoding === 1) || platform === 0)) sub4 = offset;
  }
  const glyphOf = (cp: number): number => {
    if (sub12 >= 0) {
      const groups = view.getUint32(sub12 + 12);
      for (let g = 0; g < groups; g++) {
        const rec = sub12 + 16 + 12 * g;
        const start = view.getUint32(rec);
        const end = view.getUint32(rec + 4);
        if (cp >= start && cp <= end) return view.getUint32(rec + 8) + (cp - start);
      }
      return 0;
    }
    if (sub4 < 0 || cp > 0xffff) return 0;
    const segCount = view.getUint16(sub4 + 6) / 2;
    const ends = sub4 + 14;
    const starts = ends + 2 * segCount + 2;
    const deltas = starts + 2 * segCount;
    const ranges = deltas + 2 * segCount;
    for (let s = 0; s < segCount; s++) {
      if (cp > view.getUint16(ends + 2 * s)) continue;
      const start = view.getUint16(starts + 2 * s);
      if (cp < start) return 0;
      const delta = view.getInt16(deltas + 2 * s);
      const rangeOffset = view.getUint16(ranges + 2 * s);
      if (rangeOffset === 0) return (cp + delta) & 0xffff;
      const glyph = view.getUint16(ranges + 2 * s + rangeOffset + 2 * (cp - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
  const cache = new Map<number, number>();
  return {
    advance(cp: number): number {
      let w = cache.get(cp);
      if (w === undefined) {
        w = glyphAdvance(glyphOf(cp));
        cache.set(cp, w);
      }
      return w;
    },
  };
}

let regular: FontMetrics | undefined;

/** Metrics of DejaVu Sans (read once). */
export function dejaVuMetrics(): FontMetrics {
  regular ??= parseFontMetrics(readFileSync(regularFontFile()));
  return regular;
}

/** Width in pixels of `text` in DejaVu Sans at `fontSize` px (no kerning). */
export function textWidth(text: string, fontSize: number, metrics: FontMetrics = dejaVuMetrics()): number {
  let em = 0;
  for (const ch of text) em += metrics.advance(ch.codePointAt(0)!);
  return em * fontSize;
}
