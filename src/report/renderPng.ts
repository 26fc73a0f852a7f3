/**
 * SVG -> PNG with resvg, text drawn with the DejaVu fonts of the dejavu-fonts-ttf package
 * (system fonts are not loaded: the output is the same on every machine). Scale 2 by
 * default, for print.
 */
import { Resvg } from '@resvg/resvg-js';
import { FONT_FAMILY, fontFiles } from './fonts.ts';

export interface PngOptions {
  /** Pixels per SVG unit; default 2. */
  scale?: number;
}

export interface Png {
  png: Uint8Array;
  width: number;
  height: number;
}

export const PNG_SCALE = 2;

/** Draws the SVG into pixels (RGBA, row-major) with the package's fonts. */
export function rasterize(svg: string, options: PngOptions = {}): { pixels: Uint8Array; width: number; height: number; asPng(): Uint8Array } {
  const scale = options.scale ?? PNG_SCALE;
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
    font: {
      fontFiles: fontFiles(),
      loadSystemFonts: false,
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
    },
  });
  const image = resvg.render();
  return { pixels: new Uint8Array(image.pixels), width: image.width, height: image.height, asPng: () => new Uint8Array(image.asPng()) };
}

/** The SVG as a PNG (scale 2 by default). */
export function renderPng(svg: string, options: PngOptions = {}): Png {
  const image = rasterize(svg, options);
  return { png: image.asPng(), width: image.width, height: image.height };
}
