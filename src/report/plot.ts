/** SVG charts through vega-lite, rendered headless (no canvas, no browser). */
import * as vega from 'vega';
import * as vl from 'vega-lite';

export interface LineSeries {
  name: string;
  /** facet panel the series belongs to, e.g. "f(x)" and "f′(x)" */
  panel: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
}

export interface LinePlotOptions {
  title?: string;
  xTitle?: string;
  yTitle?: string;
  width?: number;
  height?: number;
  /** clamp y to this range so one steep function does not flatten the others */
  yDomain?: [number, number];
}

export async function linePlotSvg(series: LineSeries[], o: LinePlotOptions = {}): Promise<string> {
  const values: { x: number; y: number | null; series: string; panel: string }[] = [];
  for (const s of series) {
    for (let k = 0; k < s.x.length; k++) {
      const y = s.y[k];
      values.push({ x: s.x[k], y: Number.isFinite(y) ? y : null, series: s.name, panel: s.panel });
    }
  }
  const panels = [...new Set(series.map((s) => s.panel))];
  const spec: vl.TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    ...(o.title ? { title: o.title } : {}),
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: panels } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: o.width ?? 320,
      height: o.height ?? 240,
      mark: { type: 'line', clip: true, strokeWidth: 1.6 },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: o.xTitle ?? 'x' },
        y: {
          field: 'y',
          type: 'quantitative',
          title: o.yTitle ?? null,
          ...(o.yDomain ? { scale: { domain: o.yDomain } } : {}),
        },
        color: { field: 'series', type: 'nominal', title: null },
      },
    },
  };
  return renderSvg(spec);
}

/** Any vega-lite spec → SVG, headless. */
export async function renderSvg(spec: vl.TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: 'none' });
  return view.toSVG();
}
