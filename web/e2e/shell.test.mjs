// The app shell against the real server: the built UI is served, a deep link works, and an
// unauthenticated visit lands on the login page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, startServer } from './harness.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a deep link without a session lands on the login page with next=', async () => {
  const { page } = browser;
  await page.goto(`${server.url}/entry/production`);
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 15000 });
  assert.equal(new URL(page.url()).searchParams.get('next'), '/entry/production');
  assert.equal(await page.title(), 'KPI Operations');
});
