import { html, jsonScript, type Html } from '../html';

/** One series of a chart. `data` may hold [low, high] pairs for interval bars (floating bars). */
export interface Series {
  label: string;
  data: (number | null | [number, number])[];
  /** A line over bars, or bars in a line chart. */
  type?: 'line' | 'bar';
  /** One of the palette's names; the series' position picks one otherwise. */
  color?: 'blue' | 'green' | 'red' | 'amber' | 'grey' | 'purple';
  /** Drawn dashed (fitted or expected values). */
  dashed?: boolean;
  stack?: string;
  /** Points only, no line between them (an estimate marked on its interval bar). */
  points?: boolean;
}

/** A chart drawn by Chart.js (served from node_modules) from JSON in the page; the page shows the same figures in a table. */
export interface ChartSpec {
  id: string;
  /** What the chart shows; also its accessible name. */
  title: string;
  type: 'line' | 'bar';
  labels: string[];
  series: Series[];
  /** How the value axis writes its ticks. */
  format?: 'count' | 'percent';
  /** Bars across (long labels such as menu names). */
  horizontal?: boolean;
  stacked?: boolean;
  /** The value axis's range, when it must not be chosen from the data (e.g. 0 to 1 for shares). */
  min?: number;
  max?: number;
}

/** The chart's canvas and its data; console.js draws it. Without JavaScript the figure shows its title only. */
export function chart(spec: ChartSpec): Html {
  return html`<figure class="chart"><div class="chart-box"><canvas id="${spec.id}" role="img" aria-label="${spec.title}"></canvas></div>
<figcaption>${spec.title}</figcaption>${jsonScript(null, spec, 'chart-spec')}</figure>`;
}
