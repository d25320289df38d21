// ECharts with only the parts the dashboard uses (line chart, grid, tooltip, target line, SVG
// renderer): importing `echarts` whole would add ~300 KB gzip. SVG keeps charts crisp on tablets
// and lets tests find the <svg>.
import { use, init, type ComposeOption, type ECharts } from 'echarts/core';
import { LineChart, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  TooltipComponent,
  MarkLineComponent,
  type GridComponentOption,
  type TooltipComponentOption,
  type MarkLineComponentOption,
} from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';

use([LineChart, GridComponent, TooltipComponent, MarkLineComponent, SVGRenderer]);

export type ChartOption = ComposeOption<
  LineSeriesOption | GridComponentOption | TooltipComponentOption | MarkLineComponentOption
>;

export function makeChart(el: HTMLElement): ECharts {
  return init(el, undefined, { renderer: 'svg' });
}

export type { ECharts };
