// The production entry grid against the real server in real Chromium: a cell edit saved through
// the read-back and still there after a reload (and in the API), a three-row paste from the real
// clipboard confirmed through the read-back, keyboard navigation and Escape, the fill handle,
// undo/redo, unsaved rows surviving a reload, and the CSV export.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser, loginUi, screenshot, startServer, waitFor } from './harness.mjs';

const CLIENT = 'BOOT-LINE-A';
let server;
let browser;
let workOrder;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ viewport: { width: 1366, height: 900 } });
  const wos = await server.api('GET', `/api/work-orders?client_id=${CLIENT}&status=ACTIVE&limit=1`);
  workOrder = wos.items[0].work_order_id;
  await loginUi(browser.page, server);
  await browser.page.getByTestId('client-select').selectOption(CLIENT);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/// A day safely in the past in every client timezone.
function daysAgo(n) {
  const d = new Date(Date.now() - n * 86400000);
  return d.toISOString().slice(0, 10);
}

const grid = (page) => page.locator('revo-grid');
/// A data cell by grid row index and column prop (the header carries data-testid col-<prop>).
async function cell(page, row, prop) {
  const col = await colIndex(page, prop);
  return page.locator(`revo-grid revogr-data[type="rgRow"][col-type="rgCol"] .rgCell[data-rgrow="${row}"][data-rgcol="${col}"]`);
}
async function colIndex(page, prop) {
  const i = await page.evaluate(async (p) => (await document.querySelector('revo-grid').getColumns()).findIndex((c) => c.prop === p), prop);
  assert.ok(i >= 0, `column ${prop}`);
  return i;
}
async function cellText(page, row, prop) {
  await page.evaluate((r) => document.querySelector('revo-grid').scrollToRow(r), row);
  return ((await (await cell(page, row, prop)).textContent()) ?? '').trim();
}
async function focused(page) {
  return page.evaluate(async () => (await document.querySelector('revo-grid').getFocused())?.cell ?? null);
}
async function rowCount(page) {
  return page.evaluate(async () => (await document.querySelector('revo-grid').getSource()).length);
}

/// Opens a grid. Unless `keepDrafts`, the unsaved rows an earlier test left in localStorage are
/// dropped first, so every test starts from the stored data alone.
async function openGrid(page, resource = 'production', { keepDrafts = false } = {}) {
  if (!keepDrafts && page.url().startsWith(server.url)) {
    // The grid keeps its unsaved rows as drafts when the page goes away (beforeunload), so a
    // test that failed before saving would hand its rows to the next one: stop that listener
    // (a capturing one on window runs first) and drop the drafts already kept.
    await page.evaluate(() => {
      window.addEventListener('beforeunload', (e) => e.stopImmediatePropagation(), true);
      for (const k of Object.keys(localStorage)) if (k.startsWith('kpi.grid.draft.')) localStorage.removeItem(k);
    });
  }
  await page.goto(`${server.url}/entry/${resource}`);
  await page.locator(`[data-testid="entry-${resource}"][data-ready="true"]`).waitFor({ timeout: 30000 });
  await grid(page).waitFor({ timeout: 15000 });
  await (await cell(page, 0, 'work_order_id')).waitFor({ timeout: 15000 });
}

/// Moves to a row (scrolls it into view) and clicks a cell of it.
async function clickCell(page, row, prop) {
  await page.evaluate((r) => document.querySelector('revo-grid').scrollToRow(r), row);
  const c = await cell(page, row, prop);
  await c.waitFor({ timeout: 5000 });
  await c.click();
}

/// Waits until the cell editor is open and has the keyboard focus (keys sent earlier are lost).
async function editorReady(page) {
  const input = page.locator('revo-grid revogr-edit input');
  await input.waitFor({ timeout: 5000 });
  await waitFor(async () => input.evaluate((i) => document.activeElement === i), { what: 'editor focus' });
}

/// Types a value into a cell and commits it with Enter; resolves once the cell editor has closed
/// (RevoGrid closes it a tick after the save, and a key sent before that goes to the editor).
async function typeInto(page, row, prop, value) {
  await clickCell(page, row, prop);
  // The first key opens the editor; keys sent before its input has focus would be lost, so wait.
  await page.keyboard.press(value[0]);
  const input = page.locator('revo-grid revogr-edit input');
  await input.waitFor({ timeout: 5000 });
  await waitFor(async () => input.evaluate((i) => document.activeElement === i), { what: 'editor focus' });
  await page.keyboard.type(value.slice(1));
  await page.keyboard.press('Enter');
  await page.locator('revo-grid revogr-edit input').waitFor({ state: 'detached', timeout: 5000 });
  await waitFor(async () => (await cellText(page, row, prop)) === value, { what: `${prop} = ${value}` });
}

/// Index of the trailing blank row (new rows are typed and pasted there).
async function blankRowIndex(page) {
  return (await rowCount(page)) - 1;
}

/// Save when the read-back is expected to succeed but the PATCH of an edit fails: the dialog closes
/// and the grid reports the rows that could not be saved.
async function saveAndConfirmExpectingErrors(page) {
  await page.getByTestId('grid-save').click();
  await page.getByTestId('readback-dialog').waitFor({ timeout: 15000 });
  await page.getByTestId('readback-confirm').click();
  await page.getByTestId('grid-error').waitFor({ timeout: 15000 });
}

async function saveAndConfirm(page, shot) {
  await page.getByTestId('grid-save').click();
  const dlg = page.getByTestId('readback-dialog');
  await dlg.waitFor({ timeout: 15000 });
  if (shot) await screenshot(page, shot);
  const text = await dlg.textContent();
  await page.getByTestId('readback-confirm').click();
  await dlg.waitFor({ state: 'detached', timeout: 15000 });
  await waitFor(async () => /Saved/.test((await page.getByTestId('grid-message').textContent()) ?? ''), { what: 'saved message' });
  return text;
}

test('edit a production cell, save through the read-back, reload: it is stored', async () => {
  const { page } = browser;
  await openGrid(page);
  await screenshot(page, 'entry-grid');
  const id = (await cellText(page, 0, 'production_entry_id')) || null;
  assert.ok(id, 'the first row is a stored entry');
  const before = Number(await cellText(page, 0, 'units_produced'));
  const value = String(before + 7);
  await typeInto(page, 0, 'units_produced', value);
  assert.match(await page.getByTestId('grid-dirty').textContent(), /1 unsaved/);

  const text = await saveAndConfirm(page);
  assert.match(text, new RegExp(`${id}: units_produced ${before} → ${value}`));

  await page.reload();
  await openGrid(page);
  assert.equal(await cellText(page, 0, 'units_produced'), value);
  const stored = await server.api('GET', `/api/production/${id}`);
  assert.equal(stored.units_produced, Number(value));
});

test('paste three rows from the clipboard and confirm them in one read-back', async () => {
  const { page } = browser;
  await openGrid(page);
  const day = daysAgo(3);
  const [y, m, d] = day.split('-');
  // Spreadsheet text: CRLF rows, trailing newline, a quoted multi-line note, a local date (the
  // browser is en-US: month first, which decides 12/05 whenever the day is 12 or less) and a
  // decimal comma (converted to ISO before the read-back).
  const tsv =
    `${workOrder}\t\t${day}\tOTHER\tE2E-OP1\t11\t1\t2,5\t4\r\n` +
    `${workOrder}\t\t${m}/${d}/${y}\tother\tE2E-OP2\t12\t0\t1.5\t4\r\n` +
    `${workOrder}\t\t${day}\tOTHER\tE2E-OP3\t13\t2\t3\t4\r\n`;
  await page.evaluate((t) => navigator.clipboard.writeText(t), tsv);
  const start = await blankRowIndex(page);
  await clickCell(page, start, 'work_order_id');
  // RevoGrid takes the paste only once its focus is on the clicked cell; a Ctrl+V sent before
  // that (a loaded machine) goes nowhere, so wait for the focus first.
  await waitFor(async () => (await focused(page))?.y === start, { what: 'focus on the blank row' });
  await page.keyboard.press('Control+v');
  await waitFor(async () => (await rowCount(page)) >= start + 3, { what: 'the grid grew by the pasted rows' });
  await waitFor(async () => (await cellText(page, start + 2, 'operation_id')) === 'E2E-OP3', { what: 'pasted rows' });
  assert.equal(await cellText(page, start + 1, 'shift_date'), day, 'local date converted');
  assert.equal(await cellText(page, start, 'run_time_hours'), '2.5', 'decimal comma converted');
  assert.equal(await cellText(page, start + 1, 'shift_type'), 'OTHER');

  await page.getByTestId('grid-save').click();
  const dlg = page.getByTestId('readback-dialog');
  await dlg.waitFor({ timeout: 15000 });
  await waitFor(async () => (await page.getByTestId('readback-line').count()) === 3, { what: '3 read-back lines' });
  assert.match(await page.getByTestId('readback-title').textContent(), new RegExp(`Confirm these 3 production entries for ${CLIENT} on ${day} OTHER\\?`));
  const totals = await page.getByTestId('readback-totals').textContent();
  assert.match(totals, /Total: 36 units/);
  assert.match(totals, /Total Defects: 3/);
  assert.match(totals, /Total Run Time: 7\.0 hours/);
  await screenshot(page, 'readback-dialog');
  await page.getByTestId('readback-confirm').click();
  await dlg.waitFor({ state: 'detached', timeout: 15000 });

  const list = await server.api('GET', `/api/production?client_id=${CLIENT}&from=${day}&to=${day}&shift_type=OTHER`);
  const mine = list.items.filter((r) => String(r.operation_id).startsWith('E2E-OP'));
  assert.equal(mine.length, 3);
  assert.deepEqual(mine.map((r) => r.units_produced).sort(), [11, 12, 13]);
  assert.ok(mine.every((r) => r.entry_method === 'MANUAL_ENTRY'));
});

test('arrows, Tab and Enter move the cell cursor; Escape cancels an edit', async () => {
  const { page } = browser;
  await openGrid(page);
  await clickCell(page, 0, 'work_order_id');
  const start = await focused(page);
  await page.keyboard.press('ArrowRight');
  await waitFor(async () => (await focused(page))?.x === start.x + 1, { what: 'ArrowRight' });
  await page.keyboard.press('ArrowDown');
  await waitFor(async () => (await focused(page))?.y === start.y + 1, { what: 'ArrowDown' });
  await page.keyboard.press('Tab');
  await waitFor(async () => (await focused(page))?.x === start.x + 2, { what: 'Tab' });
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('ArrowUp');
  await waitFor(async () => {
    const f = await focused(page);
    return f?.x === start.x + 1 && f?.y === start.y;
  }, { what: 'ArrowLeft/ArrowUp' });

  // Escape: the typed text is dropped.
  await clickCell(page, 1, 'units_produced');
  const before = await cellText(page, 1, 'units_produced');
  await page.keyboard.type('999999');
  await page.locator('revo-grid revogr-edit input').waitFor({ timeout: 5000 });
  await page.keyboard.press('Escape');
  await page.locator('revo-grid revogr-edit input').waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await cellText(page, 1, 'units_produced'), before);

  // Enter saves the edit and moves down.
  await page.keyboard.press('Enter');
  await editorReady(page);
  await page.keyboard.press('Control+a');
  await page.keyboard.type('5');
  await page.keyboard.press('Enter');
  await page.locator('revo-grid revogr-edit input').waitFor({ state: 'detached', timeout: 5000 });
  await waitFor(async () => (await cellText(page, 1, 'units_produced')) === '5', { what: 'Enter saves' });
  await waitFor(async () => (await focused(page))?.y === 2, { what: 'Enter moves down' });
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await cellText(page, 1, 'units_produced')) === before, { what: 'undo' });
});

test('keyboard only: Tab reaches the grid, then the arrows move the cell cursor', async () => {
  const { page } = browser;
  await openGrid(page);
  await page.getByTestId('grid-upload').focus();
  // Tab through the remaining controls until the grid wrapper has the focus.
  await waitFor(async () => {
    await page.keyboard.press('Tab');
    return page.evaluate(() => !!document.activeElement?.closest('[data-testid="entry-grid"]'));
  }, { what: 'grid reached by Tab', timeout: 10000, interval: 50 });
  await waitFor(async () => (await focused(page)) !== null, { what: 'a cell has the cursor' });
  const start = await focused(page);
  await page.keyboard.press('ArrowDown');
  await waitFor(async () => (await focused(page))?.y === start.y + 1, { what: 'ArrowDown after Tab' });
});

test('the fill handle copies a value down', async () => {
  const { page } = browser;
  await openGrid(page);
  const before = [await cellText(page, 1, 'operation_id'), await cellText(page, 2, 'operation_id')];
  await typeInto(page, 0, 'operation_id', 'FILL-OP');
  await clickCell(page, 0, 'operation_id');
  const handle = page.locator('revo-grid .autofill-handle').first();
  await handle.waitFor({ timeout: 5000 });
  const hb = await handle.boundingBox();
  const cb = await (await cell(page, 0, 'operation_id')).boundingBox();
  await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
  await page.mouse.down();
  await page.mouse.move(hb.x + hb.width / 2, hb.y + cb.height, { steps: 4 });
  await page.mouse.move(hb.x + hb.width / 2, hb.y + cb.height * 2 + 4, { steps: 4 });
  await page.mouse.up();
  await waitFor(async () => (await cellText(page, 2, 'operation_id')) === 'FILL-OP', { what: 'filled down' });
  assert.equal(await cellText(page, 1, 'operation_id'), 'FILL-OP');
  assert.match(await page.getByTestId('grid-status').textContent(), /3 unsaved/);
  // One undo removes the whole fill, a second the typed value.
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await cellText(page, 2, 'operation_id')) === before[1], { what: 'fill undone' });
  assert.equal(await cellText(page, 1, 'operation_id'), before[0]);
  assert.equal(await cellText(page, 0, 'operation_id'), 'FILL-OP');
  await page.keyboard.press('Control+z');
  await waitFor(async () => !/unsaved/.test(await page.getByTestId('grid-status').textContent()), { what: 'typed value undone' });
});

test('undo and redo by keyboard and by button; a new edit clears redo', async () => {
  const { page } = browser;
  await openGrid(page);
  const orig = await cellText(page, 2, 'units_defective');
  await typeInto(page, 2, 'units_defective', '42');
  await page.keyboard.press('Control+z');
  await waitFor(async () => (await cellText(page, 2, 'units_defective')) === orig, { what: 'Ctrl+Z' });
  await page.keyboard.press('Control+y');
  await waitFor(async () => (await cellText(page, 2, 'units_defective')) === '42', { what: 'Ctrl+Y' });
  await page.getByTestId('grid-undo').click();
  await waitFor(async () => (await cellText(page, 2, 'units_defective')) === orig, { what: 'Undo button' });
  assert.equal(await page.getByTestId('grid-redo').isEnabled(), true);
  await typeInto(page, 3, 'units_defective', '77');
  await waitFor(async () => !(await page.getByTestId('grid-redo').isEnabled()), { what: 'redo cleared' });
  await page.getByTestId('grid-undo').click();
});

test('unsaved rows survive a reload (kept locally until saved)', async () => {
  const { page } = browser;
  await openGrid(page);
  const start = await blankRowIndex(page);
  await typeInto(page, start, 'operation_id', 'DRAFT-OP');
  await waitFor(async () => /1 unsaved/.test((await page.getByTestId('grid-status').textContent()) ?? ''), { what: 'dirty' });
  await page.reload();
  await openGrid(page, 'production', { keepDrafts: true });
  await page.getByTestId('draft-restored').waitFor({ timeout: 5000 });
  const n = await rowCount(page);
  const values = [];
  for (let r = Math.max(0, n - 3); r < n; r++) values.push(await cellText(page, r, 'operation_id'));
  assert.ok(values.includes('DRAFT-OP'), `restored row in ${values}`);
  // Clean up: discard the draft row.
  const idx = n - 2;
  await clickCell(page, idx, 'operation_id');
  await page.getByTestId('grid-discard').click();
  await waitFor(async () => !/unsaved/.test((await page.getByTestId('grid-status').textContent()) ?? ''), { what: 'draft discarded' });
});

test('export downloads a CSV matching the filtered list', async () => {
  const { page } = browser;
  await openGrid(page);
  const from = await page.getByTestId('filter-from').inputValue();
  const to = await page.getByTestId('filter-to').inputValue();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('grid-export').click()]);
  const csv = readFileSync(await download.path(), 'utf8').replace(/^\uFEFF/, '');
  const lines = csv.split(/\r\n/).filter((l) => l !== '');
  const header = lines[0].split(',');
  assert.ok(header.includes('production_entry_id') && header.includes('units_produced'), header.join(','));
  let count = 0;
  let cursor = null;
  do {
    const q = `client_id=${CLIENT}&from=${from}&to=${to}&limit=1000${cursor ? `&cursor=${cursor}` : ''}`;
    const p = await server.api('GET', `/api/production?${q}`);
    count += p.items.length;
    cursor = p.next_cursor;
  } while (cursor);
  assert.equal(lines.length - 1, count);
});

test('bulk edit sets one value on every selected cell', async () => {
  const { page } = browser;
  await openGrid(page);
  await clickCell(page, 0, 'operation_id');
  await (await cell(page, 2, 'operation_id')).click({ modifiers: ['Shift'] });
  await page.getByTestId('bulk-value').fill('BULK-OP');
  await page.getByTestId('bulk-apply').click();
  for (const r of [0, 1, 2]) await waitFor(async () => (await cellText(page, r, 'operation_id')) === 'BULK-OP', { what: `row ${r}` });
  assert.match(await page.getByTestId('grid-status').textContent(), /3 unsaved/);
  await page.getByTestId('grid-undo').click();
  await waitFor(async () => !/unsaved/.test(await page.getByTestId('grid-status').textContent()), { what: 'bulk undone' });
});

test('a server validation error is shown on its cell', async () => {
  const { page } = browser;
  await openGrid(page);
  const produced = Number(await cellText(page, 1, 'units_produced'));
  const orig = await cellText(page, 1, 'units_defective');
  await typeInto(page, 1, 'units_defective', String(produced + 50));
  await saveAndConfirmExpectingErrors(page);
  const c = await cell(page, 1, 'units_defective');
  await waitFor(async () => /cell-error/.test((await c.getAttribute('class')) ?? ''), { what: 'cell error class' });
  assert.match((await c.getAttribute('title')) ?? '', /exceeds units_produced/);
  // Typing the stored value back makes the row clean again.
  await typeInto(page, 1, 'units_defective', orig === '' ? '0' : orig);
  if (orig === '') {
    await clickCell(page, 1, 'units_defective');
    await page.keyboard.press('Delete');
  }
  await waitFor(async () => !/unsaved/.test(await page.getByTestId('grid-status').textContent()), { what: 'row clean again' });
});

test('every resource opens its grid with its template columns', async () => {
  const { page } = browser;
  for (const res of ['production', 'downtime', 'quality', 'defects', 'attendance', 'coverage', 'holds', 'work-orders', 'jobs', 'products', 'part-opportunities', 'employees', 'floating-pool', 'shifts']) {
    await page.goto(`${server.url}/entry/${res}`);
    await page.locator(`[data-testid="entry-${res}"][data-ready="true"]`).waitFor({ timeout: 30000 });
    await grid(page).waitFor({ timeout: 15000 });
    const cols = await page.evaluate(async () => (await document.querySelector('revo-grid').getColumns()).map((c) => c.prop));
    const tpl = await fetch(`${server.url}/api/${res}/csv-template`, { headers: { authorization: `Bearer ${await server.token()}` } }).then((r) => r.text());
    const header = tpl.replace(/^\uFEFF/, '').split(/\r?\n/)[0].split(',').filter((h) => h !== 'client_id');
    for (const h of header) assert.ok(cols.includes(h), `${res}: column ${h}`);
    assert.equal(await page.getByTestId('grid-error').count(), 0, `${res}: no load error`);
  }
});

test('an admin soft-deletes a stored row after confirming', async () => {
  const { page } = browser;
  await openGrid(page);
  const idx = (await rowCount(page)) - 2; // the last stored row (the last row is the blank one)
  const id = await cellText(page, idx, 'production_entry_id');
  assert.ok(id);
  await clickCell(page, idx, 'units_produced');
  await page.getByTestId('grid-delete').click();
  await page.getByTestId('delete-confirm').waitFor({ timeout: 5000 });
  await page.getByTestId('delete-yes').click();
  await waitFor(async () => /deleted/.test((await page.getByTestId('grid-message').textContent()) ?? ''), { what: 'deleted message' });
  await assert.rejects(server.api('GET', `/api/production/${id}`), /404/);
});

test('tablet width: the grid and toolbar fit', async () => {
  const { page } = browser;
  await page.setViewportSize({ width: 820, height: 1180 });
  await openGrid(page);
  const box = await page.getByTestId('entry-grid').boundingBox();
  assert.ok(box.width <= 820 && box.width > 600, `grid width ${box.width}`);
  await screenshot(page, 'entry-grid-tablet');
  await page.setViewportSize({ width: 1366, height: 900 });
});

test('no console errors on the grid pages', () => {
  // Chromium logs every non-2xx response; the validation test provokes exactly one 422 on purpose.
  const unexpected = browser.consoleErrors.filter((e) => !/status of 422/.test(e));
  assert.deepEqual(unexpected, []);
  assert.ok(browser.consoleErrors.length - unexpected.length <= 1);
});
