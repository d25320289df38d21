// The dashboard against the real server in real Chromium: login (wrong password first), client
// switch with card values equal to GET /api/clients/{id}/kpis for the same window, the trend chart's
// SVG, the explanation drawer, the all-clients overview, tablet widths, and logout / invalid token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, loginUi, screenshot, startServer, waitFor } from './harness.mjs';

let server;
let browser;
/// 404 answers the page received: only the explain route may give one (until the server has it).
const notFound = [];
before(async () => {
  server = await startServer();
  browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  browser.page.on('response', (r) => {
    if (r.status() === 404) notFound.push(new URL(r.url()).pathname);
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/// The values shown on the cards, read from data-value (the number before formatting).
async function cardValues(page) {
  return page.$$eval('[data-testid^="kpi-card-"]', (cards) =>
    Object.fromEntries(
      cards.map((c) => [
        c.dataset.testid.replace('kpi-card-', ''),
        { value: c.querySelector('[data-testid="kpi-value"]').dataset.value, status: c.dataset.status },
      ]),
    ),
  );
}

test('a wrong password shows the server message', async () => {
  const { page } = browser;
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill('admin');
  await page.getByTestId('login-password').fill('not-the-password');
  await page.getByTestId('login-submit').click();
  const msg = await page.getByTestId('login-error').textContent({ timeout: 15000 });
  assert.match(msg, /Invalid username or password/);
  assert.equal(new URL(page.url()).pathname, '/login');
  await screenshot(page, 'login');
});

test('log in, switch client and see the API values on the cards', async () => {
  const { page } = browser;
  await loginUi(page, server);
  await page.getByTestId('kpi-cards').waitFor({ timeout: 15000 });
  const clients = (await server.api('GET', '/api/clients')).items.map((c) => c.client_id);
  const current = await page.getByTestId('client-select').inputValue();
  const other = clients.find((c) => c !== current);
  assert.ok(other, 'the demo has more than one client');
  await page.getByTestId('client-select').selectOption(other);
  await waitFor(async () => (await page.getByTestId('dash-client').textContent()) === other, { what: 'client switch' });
  await waitFor(async () => (await page.getByTestId('kpi-cards').getAttribute('data-from')) !== null, { what: 'cards' });
  const from = await page.getByTestId('filter-from').inputValue();
  const to = await page.getByTestId('filter-to').inputValue();
  const api = await server.api('GET', `/api/clients/${other}/kpis?from=${from}&to=${to}`);
  assert.equal(api.kpis.oee !== undefined, true);
  const shown = await waitFor(
    async () => {
      const v = await cardValues(page);
      return Object.keys(v).length === Object.keys(api.kpis).length && (await page.getByTestId('dash-client').textContent()) === other ? v : null;
    },
    { what: 'all cards' },
  );
  for (const [name, r] of Object.entries(api.kpis)) {
    const expected = r.display_value ?? r.value;
    assert.equal(shown[name].value, expected === null ? '' : String(expected), `${name} value`);
    assert.equal(shown[name].status, r.status, `${name} status`);
  }
  // Estimated values carry "estimated NN%", measured ones "measured".
  const oeeBadge = await page.locator('[data-testid="kpi-card-oee"] [data-testid="confidence-badge"]').textContent();
  const pct = Math.floor(api.kpis.oee.confidence * 100 + 0.5);
  assert.match(oeeBadge, api.kpis.oee.estimated ? new RegExp(`estimated ${pct}%`) : /measured/);
  // Screenshot once sparklines and the trend have loaded.
  await page.getByTestId('updated-at').waitFor({ timeout: 15000 });
  await page.locator('[data-testid="trend-chart"] svg').waitFor({ timeout: 15000 });
  await screenshot(page, 'dashboard');
});

test('the shift filter asks the server for that shift', async () => {
  const { page } = browser;
  const client = await page.getByTestId('dash-client').textContent();
  const from = await page.getByTestId('filter-from').inputValue();
  const to = await page.getByTestId('filter-to').inputValue();
  await page.getByTestId('filter-shift').selectOption('SHIFT_2ND');
  const api = await server.api('GET', `/api/clients/${client}/kpis?from=${from}&to=${to}&shift=SHIFT_2ND`);
  const expected = String(api.kpis.efficiency.display_value ?? api.kpis.efficiency.value ?? '');
  await waitFor(async () => (await cardValues(page)).efficiency?.value === expected, { what: 'SHIFT_2ND efficiency' });
  await page.getByTestId('filter-shift').selectOption('');
});

test('Spanish labels replace the English ones', async () => {
  const { page } = browser;
  await page.getByLabel('Language').selectOption('es');
  await waitFor(async () => (await page.locator('h1').first().textContent()).startsWith('Panel'), { what: 'Spanish title' });
  assert.match(await page.locator('[data-testid="kpi-card-efficiency"] .name').textContent(), /Eficiencia/);
  await page.getByLabel('Language').selectOption('en');
});

test('the trend chart renders as SVG and follows the granularity', async () => {
  const { page } = browser;
  const svg = page.locator('[data-testid="trend-chart"] svg');
  await svg.waitFor({ timeout: 15000 });
  await waitFor(async () => (await page.locator('[data-testid="trend-chart"] svg path').count()) > 0, { what: 'chart paths' });
  await page.getByTestId('gran-week').click();
  await waitFor(async () => (await page.getByTestId('gran-week').getAttribute('aria-checked')) === 'true', { what: 'week' });
  await svg.waitFor({ timeout: 15000 });
  // Sparklines are SVG too.
  assert.ok((await page.locator('[data-testid="kpi-card-oee"] [data-testid="sparkline"] svg').count()) === 1);
});

test('a card opens the explanation drawer; Escape closes it', async () => {
  const { page } = browser;
  await page.getByTestId('kpi-card-efficiency').click();
  const drawer = page.getByTestId('explain-drawer');
  await drawer.waitFor({ timeout: 15000 });
  await waitFor(
    async () =>
      (await page.getByTestId('explain-inputs').count()) + (await page.getByTestId('explain-unavailable').count()) > 0,
    { what: 'explanation or not-available notice' },
  );
  if ((await page.getByTestId('explain-inputs').count()) > 0) {
    // The server has the route: the drawer shows its result, inputs and provenance per field.
    const client = await page.getByTestId('dash-client').textContent();
    const from = await page.getByTestId('filter-from').inputValue();
    const to = await page.getByTestId('filter-to').inputValue();
    const ex = await server.api('GET', `/api/clients/${client}/kpis/efficiency/explain?from=${from}&to=${to}`);
    assert.equal(await page.getByTestId('explain-formula-version').textContent(), String(ex.formula_version));
    assert.match(await page.getByTestId('explain-pairs').textContent(), new RegExp(`${ex.pairs.recorded}[\\s\\S]*${ex.pairs.inferred}`));
    assert.equal(await page.locator('[data-testid="explain-inputs"] tr').count(), Object.keys(ex.script_input).length);
    if (ex.fields?.length) await page.getByTestId('explain-fields').waitFor();
  }
  await screenshot(page, 'explanation');
  await page.keyboard.press('Escape');
  await drawer.waitFor({ state: 'detached', timeout: 5000 });
  // Focus returns to the card's button (keyboard users keep their place).
  const focused = await page.evaluate(() => document.activeElement?.closest('[data-testid]')?.dataset.testid);
  assert.equal(focused, 'kpi-card-efficiency');
});

test('the keyboard alone opens an explanation', async () => {
  const { page } = browser;
  await page.locator('[data-testid="kpi-card-oee"] button.open').focus();
  await page.keyboard.press('Enter');
  await page.getByTestId('explain-drawer').waitFor({ timeout: 15000 });
  await page.keyboard.press('Escape');
  await page.getByTestId('explain-drawer').waitFor({ state: 'detached', timeout: 5000 });
});

test('the overview lists every client and links to its dashboard', async () => {
  const { page } = browser;
  await page.goto(`${server.url}/overview`);
  await page.getByTestId('overview-table').waitFor({ timeout: 15000 });
  const clients = (await server.api('GET', '/api/kpis/overview')).clients;
  assert.equal(await page.locator('[data-testid^="overview-row-"]').count(), clients.length);
  await screenshot(page, 'overview');
  const target = clients[clients.length - 1].client_id;
  await page.getByTestId(`overview-link-${target}`).click();
  await waitFor(async () => (await page.getByTestId('dash-client').textContent()) === target, { what: 'linked dashboard' });
  assert.equal(await page.getByTestId('client-select').inputValue(), target);
  assert.equal(new URL(page.url()).search, '');
});

test('with costs set, the dashboard lists the largest losses the API ranks', async () => {
  const { page } = browser;
  await page.goto(`${server.url}/`);
  await page.getByTestId('kpi-cards').waitFor({ timeout: 15000 });
  const client = await page.getByTestId('client-select').inputValue();
  assert.equal(await page.getByTestId('top-losses').count(), 0, 'no costs, no losses panel');
  await server.api('PUT', `/api/clients/${client}/settings`, {
    settings: { costs: { currency: 'EUR', labour_cost_per_hour: 18, scrap_cost_per_unit: 4 } },
  });
  const cards = page.getByTestId('kpi-cards');
  const [from, to] = [await cards.getAttribute('data-from'), await cards.getAttribute('data-to')];
  const api = await server.api('GET', `/api/clients/${client}/losses?from=${from}&to=${to}`);
  assert.equal(api.currency, 'EUR');
  assert.ok(api.top.length > 0, 'the demo data has losses');
  await page.getByTestId('refresh').click();
  await page.getByTestId('top-losses').waitFor({ timeout: 15000 });
  const rows = await page.getByTestId('loss-row').allTextContents();
  assert.equal(rows.length, api.top.length);
  const first = api.top[0];
  const amount = new Intl.NumberFormat('en', { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(first.amount);
  assert.ok(rows[0].includes(first.group) && rows[0].includes(`${amount} EUR`), `${rows[0]} vs ${JSON.stringify(first)}`);
  await screenshot(page, 'top-losses');
});

test('the dashboard fits tablet widths without horizontal scrolling', async () => {
  const { page } = browser;
  for (const size of [{ width: 1024, height: 768 }, { width: 768, height: 1024 }]) {
    await page.setViewportSize(size);
    await page.goto(`${server.url}/`);
    await page.getByTestId('kpi-cards').waitFor({ timeout: 15000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no horizontal overflow at ${size.width}px (got ${overflow})`);
  }
  await screenshot(page, 'dashboard-768');
  await page.setViewportSize({ width: 1366, height: 900 });
});

test('logout returns to login, and an invalid token does too', async () => {
  const { page } = browser;
  await page.goto(`${server.url}/`);
  await page.getByTestId('logout').click();
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 15000 });
  assert.equal(await page.evaluate(() => localStorage.getItem('kpi.token')), null);
  // A stale or forged token: the first API call answers 401 and the app returns to login.
  await page.evaluate(() => localStorage.setItem('kpi.token', 'not.a.valid-token'));
  await page.goto(`${server.url}/overview`);
  await page.waitForURL((u) => u.pathname === '/login', { timeout: 15000 });
  await page.getByTestId('session-expired').waitFor({ timeout: 15000 });
  assert.equal(new URL(page.url()).searchParams.get('next'), '/overview');
  assert.equal(await page.evaluate(() => localStorage.getItem('kpi.token')), null);
  // Signing in again returns to where the session ended.
  await page.getByTestId('login-username').fill(server.username);
  await page.getByTestId('login-password').fill(server.password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => u.pathname === '/overview', { timeout: 15000 });
  await page.getByTestId('overview-table').waitFor({ timeout: 15000 });
});

test('no console errors along the way', () => {
  // Chromium logs every failed fetch as "Failed to load resource". Expected ones: the invalid-token
  // step's 401, and the explain route's 404 while the server does not have it yet. Nothing else.
  const unexpected404 = notFound.filter((p) => !/\/kpis\/[a-z_]+\/explain$/.test(p));
  assert.deepEqual(unexpected404, []);
  let allowed404 = notFound.length;
  const errors = browser.consoleErrors.filter((e) => {
    if (/status of 401/.test(e)) return false;
    if (/status of 404/.test(e) && allowed404 > 0) {
      allowed404 -= 1;
      return false;
    }
    return true;
  });
  assert.deepEqual(errors, []);
});
