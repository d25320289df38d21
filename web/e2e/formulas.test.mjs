// The formula editor against the real server: a deliberate syntax error is reported at its line,
// the fix passes its @case, the back-test compares current and proposed, publishing with a comment
// changes the KPI on the dashboard, a client override applies to that client only, and a
// rollback restores the value.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, loginUi, screenshot, startServer, waitFor } from './harness.mjs';

let server;
let browser;
let client;
let original;
before(async () => {
  server = await startServer();
  browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  // Rollback and override removal ask for confirmation.
  browser.page.on('dialog', (d) => void d.accept());
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const BROKEN = [
  '// Constant efficiency for the end-to-end test.',
  '// @case "constant": entries = 1 => 42.0',
  'let x = ;',
  'x',
].join('\n');
const FIXED = BROKEN.replace('let x = ;', 'let x = 42.0;');

async function setSource(page, text) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
  await waitFor(async () => (await page.locator('.cm-content').innerText()).includes(text.split('\n')[2]), {
    what: 'editor text',
  });
}

async function efficiencyOnCard(page) {
  return page.locator('[data-testid="kpi-card-efficiency"] [data-testid="kpi-value"]').getAttribute('data-value');
}

async function dashboardEfficiency(page, expected) {
  await page.getByRole('link', { name: 'Dashboard' }).click();
  await page.getByTestId('kpi-cards').waitFor({ timeout: 15000 });
  return waitFor(async () => ((await efficiencyOnCard(page)) === expected ? expected : null), {
    what: `efficiency card = ${expected}`,
  });
}

async function openEfficiency(page) {
  await page.getByRole('link', { name: 'Formulas' }).click();
  // The editor chunk and the script list load lazily; on a loaded machine that takes a while.
  const item = page.getByTestId('script-efficiency');
  await item.waitFor({ timeout: 30000 });
  await item.click();
  await waitFor(async () => /efficiency/i.test(await page.locator('.cm-content').innerText()), {
    what: 'script',
    timeout: 30000,
  });
}

test('the dashboard shows the current efficiency', async () => {
  const { page } = browser;
  await loginUi(page, server);
  await page.getByTestId('kpi-cards').waitFor({ timeout: 15000 });
  client = await page.getByTestId('client-select').inputValue();
  const api = await server.api('GET', `/api/clients/${client}/kpis`);
  original = String(api.kpis.efficiency.display_value ?? api.kpis.efficiency.value);
  assert.notEqual(original, '42');
  await waitFor(async () => (await efficiencyOnCard(page)) === original, { what: 'original value' });
});

test('a slow answer for the first script never replaces the one picked after it', async () => {
  const { page } = browser;
  // Every script but efficiency answers 3 s late: the list's first script, loaded on arrival,
  // now answers after the user's pick of efficiency.
  const slow = async (route) => {
    const path = new URL(route.request().url()).pathname;
    if (route.request().method() === 'GET' && !path.endsWith('/efficiency')) {
      await new Promise((r) => setTimeout(r, 3000));
    }
    await route.continue();
  };
  await page.route('**/api/kpi-scripts/*', slow);
  try {
    await openEfficiency(page);
    await new Promise((r) => setTimeout(r, 3500));
    assert.match(await page.locator('.cm-content').innerText(), /efficiency/i, 'still the picked script');
  } finally {
    await page.unroute('**/api/kpi-scripts/*', slow);
  }
  await page.getByRole('link', { name: 'Dashboard' }).click();
});

test('a syntax error is reported at its line, and the fix passes its case', async () => {
  const { page } = browser;
  await openEfficiency(page);
  await waitFor(async () => (await page.getByTestId('check-status').getAttribute('data-ok')) === 'true', {
    what: 'the stored script checks ok',
  });
  await screenshot(page, 'formula-editor');

  await setSource(page, BROKEN);
  const diag = page.locator('[data-testid="diagnostic"]');
  await waitFor(async () => (await diag.count()) > 0, { what: 'a diagnostic' });
  assert.equal(await diag.first().getAttribute('data-line'), '3');
  // The mark sits in the third line of the editor, and a gutter marker is shown.
  await waitFor(
    async () =>
      page.evaluate(() => {
        const lines = [...document.querySelectorAll('.cm-content .cm-line')];
        return lines.findIndex((l) => l.querySelector('.cm-lintRange-error')) === 2;
      }),
    { what: 'the error mark on line 3' },
  );
  assert.ok((await page.locator('.cm-lint-marker-error').count()) > 0);
  assert.equal(await page.getByTestId('publish').isDisabled(), true);
  await screenshot(page, 'formula-error');

  await setSource(page, FIXED);
  await waitFor(async () => (await page.getByTestId('check-status').getAttribute('data-ok')) === 'true', {
    what: 'the fixed script checks ok',
  });
  assert.equal(await page.locator('[data-testid="diagnostic"]').count(), 0);
  assert.equal(await page.locator('[data-testid="case-row"][data-pass="true"]').count(), 1);
});

test('the back-test shows current against proposed', async () => {
  const { page } = browser;
  await page.getByTestId('run-backtest').click();
  const rows = page.locator('[data-testid="backtest-row"]');
  await waitFor(async () => (await rows.count()) > 0, { timeout: 30000, what: 'back-test rows' });
  const first = await rows.first().locator('td').allInnerTexts();
  assert.equal(first[3], '42');
});

test('publishing with a comment changes the KPI on the dashboard', async () => {
  const { page } = browser;
  await page.getByTestId('publish-comment').fill('e2e: constant 42');
  await page.getByTestId('publish').click();
  await page.getByTestId('publish-result').waitFor({ timeout: 15000 });
  assert.match(await page.getByTestId('publish-result').textContent(), /Published version 2/);
  await page.getByTestId('history-2').waitFor();
  assert.match(await page.getByTestId('history-2').textContent(), /e2e: constant 42/);

  await dashboardEfficiency(page, '42');
  const api = await server.api('GET', `/api/clients/${client}/kpis`);
  assert.equal(api.kpis.efficiency.value, 42);
  assert.equal(api.kpis.efficiency.formula_version, 2);
});

test('a client override applies to that client only, and removing it restores the global', async () => {
  const { page } = browser;
  await openEfficiency(page);
  // Draft first, then choose the client: the draft is kept for the override.
  await setSource(page, FIXED.replaceAll('42.0', '7.0'));
  await page.getByTestId('scope-select').selectOption(client);
  await waitFor(async () => (await page.getByTestId('script-name').textContent()).includes('global'), { what: 'scope loaded' });
  assert.match(await page.locator('.cm-content').innerText(), /let x = 7\.0;/);
  await waitFor(async () => (await page.getByTestId('check-status').getAttribute('data-ok')) === 'true', {
    what: 'the override checks ok',
  });
  await page.getByTestId('publish-comment').fill('e2e: override 7');
  await page.getByTestId('publish').click();
  await page.getByTestId('publish-result').waitFor({ timeout: 15000 });
  await dashboardEfficiency(page, '7');
  const others = (await server.api('GET', '/api/clients')).items.map((c) => c.client_id).filter((c) => c !== client);
  const other = await server.api('GET', `/api/clients/${others[0]}/kpis`);
  assert.equal(other.kpis.efficiency.value, 42);

  await openEfficiency(page);
  await page.getByTestId('scope-select').selectOption(client);
  await page.getByTestId('remove-override').click();
  await waitFor(async () => (await page.getByTestId('script-name').textContent()).includes('global'), {
    what: 'the client back on the global script',
  });
  await dashboardEfficiency(page, '42');
});

test('rolling back to version 1 restores the original value', async () => {
  const { page } = browser;
  await openEfficiency(page);
  await page.getByTestId('scope-select').selectOption('');
  await page.getByTestId('rollback-1').click();
  await page.getByTestId('publish-result').waitFor({ timeout: 15000 });
  await dashboardEfficiency(page, original);
});

test('no console errors', () => {
  assert.deepEqual(browser.consoleErrors, []);
});
