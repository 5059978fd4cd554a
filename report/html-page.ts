// The shell of a self-contained report page: styles, the chart library, the chart data and the drawing script inline.
import type { ChartSpec } from './chart-spec.js';
import { chartAssets } from './chart-assets.js';
import { escapeHtml, jsonForScript, scriptSafe } from './html.js';

// Nothing may be fetched: the page must read the same offline, from a CI artifact or a mail attachment.
const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const PAGE_CSS = `
body { font: 14px/1.45 system-ui, sans-serif; color: #222; margin: 0 auto; padding: 16px 24px 48px; max-width: 1280px; }
h1 { font-size: 22px; margin: 8px 0 4px; }
h2 { font-size: 18px; margin: 28px 0 6px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
p.note { color: #555; margin: 4px 0 10px; max-width: 980px; }
.caveat { color: #b00020; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 12px 24px; }
.chart { min-width: 0; min-height: 300px; }
.side-by-side { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f4f4f4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { background: #f8f8f8; font-weight: 600; }
.u-title { font-size: 14px; font-weight: 600; }
.u-legend { font-size: 12px; }
`;

export function htmlPage(title: string, body: string, charts: readonly ChartSpec[]): string {
  const assets = chartAssets();
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(CONTENT_SECURITY_POLICY)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${assets.libraryCss}</style>
<style>${PAGE_CSS}</style>
</head>
<body>
${body}
<script id="chart-data" type="application/json">${jsonForScript(charts)}</script>
<script>${scriptSafe(assets.libraryJs)}</script>
<script type="module">${scriptSafe(assets.chartsJs)}</script>
</body>
</html>
`;
}
