// Opens a report page in Debian's chromium, offline, and reports what a reader would have seen go wrong.
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';
// Headless, and nothing that would reach the network on its own (updates, sync, QUIC probes).
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const RENDER_TIMEOUT_MS = 15_000;

export interface RenderedChart {
  id: string;
  /** Size of the largest canvas or svg inside the chart's element, in CSS pixels. */
  width: number;
  height: number;
}

export interface PageCheck {
  consoleErrors: string[];
  /** Requests to anything but file: URLs; every one was aborted. */
  blockedRequests: string[];
  failedRequests: string[];
  charts: RenderedChart[];
}

export interface ShotOptions {
  viewport?: { width: number; height: number };
  /** false: only the viewport, e.g. the top of a report for the README. */
  fullPage?: boolean;
}

export async function openReport(htmlPath: string, screenshotPath: string, shot: ShotOptions = {}): Promise<PageCheck> {
  const viewport = shot.viewport ?? { width: 1280, height: 900 };
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport, deviceScaleFactor: 1 });
    const check: PageCheck = { consoleErrors: [], blockedRequests: [], failedRequests: [], charts: [] };
    page.on('console', (message) => {
      if (message.type() === 'error') check.consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => check.consoleErrors.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => {
      if (!check.blockedRequests.includes(request.url())) check.failedRequests.push(request.url());
    });
    await page.route('**/*', async (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      check.blockedRequests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load', timeout: RENDER_TIMEOUT_MS });
    // Module scripts run after parsing; wait until every chart element holds something or the time is up.
    await page
      .waitForFunction(() => [...document.querySelectorAll('[data-chart]')].every((el) => el.querySelector('canvas, svg') !== null), undefined, {
        timeout: RENDER_TIMEOUT_MS,
      })
      .catch(() => undefined);
    check.charts = await page.evaluate(() =>
      [...document.querySelectorAll<HTMLElement>('[data-chart]')].map((el) => {
        const sizes = [...el.querySelectorAll('canvas, svg')].map((c) => c.getBoundingClientRect());
        const largest = sizes.reduce((best, r) => (r.width * r.height > best.width * best.height ? r : best), { width: 0, height: 0 });
        return { id: el.dataset['chart'] ?? '', width: largest.width, height: largest.height };
      }),
    );
    await page.screenshot({ path: screenshotPath, fullPage: shot.fullPage ?? true });
    return check;
  } finally {
    await browser.close();
  }
}
