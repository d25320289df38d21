// Web budget benchmark (issue 6; not a test): first load of the dashboard on loopback with the
// demo data. Starts `kpi-ops demo` (KPI_OPS_BIN, default target/release/kpi-ops when built, else
// debug) and Debian Chromium, logs in through the API (token in localStorage), then times a cold
// navigation to `/` until every KPI card shows a value, five times with a fresh browser cache.
// Usage: node bench/web-load.mjs   (after `npm ci && npm run build` in web/)
import { existsSync } from 'node:fs';
import { launchBrowser, startServer, waitFor } from '../web/e2e/harness.mjs';

if (!process.env.KPI_OPS_BIN && existsSync('target/release/kpi-ops')) {
  process.env.KPI_OPS_BIN = 'target/release/kpi-ops';
}
const server = await startServer();
const token = await server.token();
const runs = [];
try {
  for (let i = 0; i < 5; i++) {
    const browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
    const { page } = browser;
    await page.goto(`${server.url}/login`);
    await page.evaluate((t) => localStorage.setItem('kpi.token', t), token);
    await page.evaluate(() => caches?.keys?.());
    const start = Date.now();
    await page.goto(`${server.url}/`);
    await page.getByTestId('kpi-cards').waitFor({ timeout: 30000 });
    await waitFor(
      async () => {
        const values = await page.getByTestId('kpi-value').evaluateAll((els) => els.map((e) => e.textContent?.trim()));
        return values.length > 0 && values.every((v) => v && v.length > 0);
      },
      { timeout: 30000, interval: 10, what: 'KPI values' },
    );
    runs.push(Date.now() - start);
    await browser.close();
  }
} finally {
  await server.stop();
}
runs.sort((a, b) => a - b);
console.log(`# web first load (cold browser, demo data, ${process.env.KPI_OPS_BIN ?? 'debug build'})`);
console.log(`dashboard with every KPI value: runs ${runs.join(', ')} ms; median ${runs[2]} ms; budget 1000 ms`);
