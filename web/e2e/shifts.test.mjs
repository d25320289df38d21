// Shift status and close against the real server: the admin opens /shifts for a demo client,
// closes a past line-shift that has data (confirm dialog), sees it marked closed and listed by
// GET shift-closes, then reopens it by keyboard (focus lands on the Reopen button); closing a shift
// with an empty resource shows the returned `missing` list.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, loginUi, screenshot, startServer, waitFor } from './harness.mjs';

let server;
let browser;
const dialogs = [];
before(async () => {
  server = await startServer();
  browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  browser.page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.accept();
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('close a past shift with data, see it closed, reopen it', async () => {
  const { page } = browser;
  await loginUi(page, server);
  const client = await waitFor(() => page.evaluate(() => localStorage.getItem('kpi.client')), { what: 'a selected client' });
  const base = `/api/clients/${encodeURIComponent(client)}`;

  // A past line-shift of the default range (last 7 days) that has production and is open.
  const status = (await server.api('GET', `${base}/shift-status`)).items;
  const today = status[0]?.shift_date;
  const target = status.find((i) => i.shift_date < today && i.counts.production > 0 && !i.closed);
  assert.ok(target, `no past open shift with data for ${client}: ${JSON.stringify(status)}`);
  const key = `${target.shift_date}-${target.shift_type}`;

  await page.getByTestId('nav-shifts').click();
  await page.waitForURL((u) => u.pathname === '/shifts');
  const row = page.getByTestId(`shift-row-${key}`);
  await row.waitFor({ timeout: 15000 });
  assert.equal(await row.getAttribute('data-closed'), 'false');
  assert.equal(await row.getByTestId('count-production').innerText(), String(target.counts.production));
  // Rows with no data show their missing resources.
  assert.ok((await page.getByTestId('missing-badge').count()) > 0);

  await page.getByTestId(`close-${key}`).click();
  await waitFor(async () => (await row.getAttribute('data-closed')) === 'true', { what: 'the row marked closed' });
  assert.equal(dialogs.length, 1);
  assert.match(dialogs[0], new RegExp(target.shift_type));
  await page.getByTestId('shifts-message').waitFor();
  assert.match(await row.getByTestId('closed-badge').innerText(), /Closed/);
  const closes = (await server.api('GET', `${base}/shift-closes?from=${target.shift_date}&to=${target.shift_date}`)).items;
  const close = closes.find((c) => c.shift_date === target.shift_date && c.shift_type === target.shift_type);
  assert.ok(close, `GET shift-closes does not list it: ${JSON.stringify(closes)}`);

  // Keyboard: focus moved to the row's Reopen button; Enter reopens (after the confirm).
  const reopen = page.getByTestId(`reopen-${key}`);
  await waitFor(() => reopen.evaluate((el) => el === document.activeElement), { what: 'focus on Reopen' });
  await page.keyboard.press('Enter');
  await waitFor(async () => (await row.getAttribute('data-closed')) === 'false', { what: 'the row open again' });
  assert.equal(dialogs.length, 2);
  const after = (await server.api('GET', `${base}/shift-status?from=${target.shift_date}&to=${target.shift_date}`)).items;
  assert.equal(after.find((i) => i.shift_type === target.shift_type).closed, false);
  await page.getByTestId(`close-${key}`).waitFor();

  // Closing is never blocked: a shift with data but an empty resource closes and lists what is missing.
  const partial = status.find((i) => i.shift_date < today && i.counts.production > 0 && i.missing.length && !i.closed);
  if (partial) {
    const pkey = `${partial.shift_date}-${partial.shift_type}`;
    await page.getByTestId(`close-${pkey}`).click();
    const list = page.getByTestId('close-missing');
    await list.waitFor({ timeout: 15000 });
    const shown = await list.locator('li').allInnerTexts();
    assert.equal(shown.length, partial.missing.length);
    const prow = page.getByTestId(`shift-row-${pkey}`);
    await waitFor(async () => (await prow.getAttribute('data-closed')) === 'true', { what: 'the partial row closed' });
  }
  await screenshot(page, 'shifts');

  assert.deepEqual(browser.consoleErrors, []);
});
