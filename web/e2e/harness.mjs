// End-to-end harness: the real server (`kpi-ops demo`: fresh data dir, demo data, free loopback
// port) and real Debian Chromium driven by playwright-core. Nothing is mocked.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = resolve(ROOT, 'web/e2e-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function serverBinary() {
  if (process.env.KPI_OPS_BIN) return process.env.KPI_OPS_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target');
  return join(target, 'debug', 'kpi-ops');
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/// Polls `fn` until it returns a truthy value (returned) or the deadline passes (throws with the
/// last error). Tests never sleep a fixed time.
export async function waitFor(fn, { timeout = 15000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/// Starts `kpi-ops demo` and resolves once it prints the login and /health answers.
/// Returns { url, username, password, token(), api(method, path, body?), stop() }.
export async function startServer() {
  const bin = serverBinary();
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run 'cargo build' first (or set KPI_OPS_BIN)`);
  const dir = mkdtempSync(join(tmpdir(), 'kpi-e2e-data-'));
  const port = await freePort();
  const child = spawn(bin, ['demo', '--data-dir', join(dir, 'data'), '--port', String(port)], {
    cwd: ROOT,
    env: { ...process.env, RUST_LOG: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.on('exit', r));
  const password = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`kpi-ops demo exited ${child.exitCode}: ${err.slice(-2000)}`);
      return /login:\s+admin \/ (\S+)/.exec(out)?.[1];
    },
    { timeout: 60000, what: 'the demo login line' },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/health`)).ok, { what: '/health' });

  let cached;
  const server = {
    url,
    username: 'admin',
    password,
    /// An admin token from the real login endpoint.
    async token() {
      if (!cached) {
        const res = await fetch(`${url}/api/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password }),
        });
        if (!res.ok) throw new Error(`login failed: ${res.status} ${await res.text()}`);
        cached = (await res.json()).access_token;
      }
      return cached;
    },
    /// JSON API call as the admin; throws on a non-2xx answer with the error body.
    async api(method, path, body) {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await server.token()}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
      return text ? JSON.parse(text) : undefined;
    },
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/// Debian Chromium with a fresh profile (launchPersistentContext: Playwright refuses
/// --user-data-dir in args), clipboard permissions for real Ctrl+V, and the flags this closed
/// network needs. `consoleErrors` collects console errors and page errors of every page.
export async function launchBrowser({ viewport = { width: 1366, height: 900 } } = {}) {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  const profile = mkdtempSync(join(tmpdir(), 'kpi-e2e-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    // A fixed locale: local dates and decimals in the tests are written the en-US way.
    locale: 'en-US',
    acceptDownloads: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
    ],
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const consoleErrors = [];
  const watch = (page) => {
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(`${page.url()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => consoleErrors.push(`${page.url()}: ${e.message}`));
  };
  context.pages().forEach(watch);
  context.on('page', watch);
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    consoleErrors,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/// Logs in through the real login page (test ids: login-username, login-password, login-submit)
/// and waits until the app leaves /login.
export async function loginUi(page, server, { username = server.username, password = server.password } = {}) {
  await page.goto(`${server.url}/login`);
  await page.getByTestId('login-username').fill(username);
  await page.getByTestId('login-password').fill(password);
  await page.getByTestId('login-submit').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'), { timeout: 15000 });
}

/// Saves a screenshot as a test artefact (web/e2e-artifacts/NAME.png).
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}
