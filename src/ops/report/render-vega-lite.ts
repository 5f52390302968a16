import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { PreconditionError } from '../../core/index.js';

export type { TopLevelSpec as VegaLiteSpec } from 'vega-lite';

export interface RenderedFigure {
  svg: string;
  png: Buffer;
  /** Size of the PNG in pixels (the SVG's size × `scale`). */
  width: number;
  height: number;
}

/** The font charts ask for; Debian's fonts-dejavu-core (in node:*-bookworm images) provides it. */
export const CHART_FONT = 'DejaVu Sans';

let fontChecked = false;

/**
 * resvg draws text only with a font it finds on the system, and draws nothing
 * (no error) without one: a chart with no title or tick labels is the failure
 * this report exists to fix, so a machine with no usable font fails loudly.
 */
function checkFont(): void {
  if (fontChecked) return;
  const probe = new Resvg(`<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text x="2" y="16" font-family="${CHART_FONT}, sans-serif" font-size="16">Ag</text></svg>`, {
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT },
  })
    .render()
    .pixels;
  if (!probe.some((b, i) => i % 4 === 3 && b > 0)) {
    throw new PreconditionError(`no font to draw chart text with: install a sans-serif font (Debian: apt-get install fonts-dejavu-core)`, { font: CHART_FONT });
  }
  fontChecked = true;
}

/**
 * Renders a Vega-Lite spec without a browser: Vega-Lite compiles it to Vega,
 * Vega draws the scene as SVG (headless View), resvg rasterizes the SVG to a PNG
 * at `scale` × its size on a white background.
 *
 * @example
 * const { png } = await renderVegaLite({ data: { values: [{ x: 1, y: 2 }] }, mark: 'point', encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } } });
 */
export async function renderVegaLite(spec: TopLevelSpec, opts: { scale?: number } = {}): Promise<RenderedFigure> {
  checkFont();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  const image = new Resvg(svg, {
    background: 'white',
    fitTo: { mode: 'zoom', value: opts.scale ?? 2 },
    font: { loadSystemFonts: true, defaultFontFamily: CHART_FONT },
  }).render();
  return { svg, png: image.asPng(), width: image.width, height: image.height };
}
