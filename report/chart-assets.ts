// The chart library and drawing script, read once from disk so each report page can inline them.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export interface ChartAssets {
  libraryJs: string;
  libraryCss: string;
  /** The compiled report/browser-charts.ts, an ES module. */
  chartsJs: string;
}

const require = createRequire(import.meta.url);
let loaded: ChartAssets | undefined;

export function chartAssets(): ChartAssets {
  loaded ??= {
    libraryJs: readFileSync(require.resolve('uplot/dist/uPlot.iife.min.js'), 'utf8'),
    libraryCss: readFileSync(require.resolve('uplot/dist/uPlot.min.css'), 'utf8'),
    // A source map comment would point the browser at a file that is not beside the report.
    chartsJs: readFileSync(fileURLToPath(new URL('./browser-charts.js', import.meta.url)), 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, ''),
  };
  return loaded;
}
