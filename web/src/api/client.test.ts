// The API client against a fake fetch: error bodies become ApiError with code/details, a 401
// clears the token and calls onUnauthorized (except on the login route), queries drop blanks,
// and a network failure becomes a network_error.
import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError, withQuery } from './client';

function memoryStorage() {
  const m = new Map<string, string>();
  return {
    getItem: (k: string) => m.get(k) ?? null,
    setItem: (k: string, v: string) => void m.set(k, v),
    removeItem: (k: string) => void m.delete(k),
  };
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
}

/// The ApiError a call rejects with (fails the test if it resolves).
async function failure(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p;
  } catch (e) {
    return e as ApiError;
  }
  throw new Error('expected the call to fail');
}

function client(fetchImpl: (url: string, init: RequestInit) => Promise<Response>, onUnauthorized = vi.fn()) {
  const c = new ApiClient({ storage: memoryStorage(), fetch: fetchImpl as typeof fetch, onUnauthorized });
  return { c, onUnauthorized };
}

describe('withQuery', () => {
  it('drops undefined, null and empty values and encodes the rest', () => {
    expect(withQuery('/api/x', { a: 1, b: undefined, c: null, d: '', e: 'a b&c', f: false })).toBe(
      '/api/x?a=1&e=a+b%26c&f=false',
    );
  });
  it('appends to an existing query string and leaves a bare path alone', () => {
    expect(withQuery('/api/x?z=1', { a: 2 })).toBe('/api/x?z=1&a=2');
    expect(withQuery('/api/x', {})).toBe('/api/x');
    expect(withQuery('/api/x')).toBe('/api/x');
  });
});

describe('ApiClient', () => {
  it('sends the bearer token and JSON body, and parses the JSON answer', async () => {
    const seen: { url: string; init: RequestInit }[] = [];
    const { c } = client(async (url, init) => {
      seen.push({ url, init });
      return json(200, { ok: true });
    });
    c.token = 'tok';
    const r = await c.post<{ ok: boolean }>('/api/things', { a: 1 });
    expect(r).toEqual({ ok: true });
    const h = seen[0].init.headers as Record<string, string>;
    expect(h.Authorization).toBe('Bearer tok');
    expect(h['Content-Type']).toBe('application/json');
    expect(seen[0].init.body).toBe('{"a":1}');
    expect(seen[0].init.method).toBe('POST');
  });

  it('builds GET queries', async () => {
    const urls: string[] = [];
    const { c } = client(async (url) => {
      urls.push(url);
      return json(200, {});
    });
    await c.get('/api/clients/A/kpis', { from: '2025-01-01', to: '2025-01-30', shift: undefined });
    expect(urls[0]).toBe('/api/clients/A/kpis?from=2025-01-01&to=2025-01-30');
  });

  it('maps the error body to ApiError with code, message, details and request id', async () => {
    const { c } = client(async () =>
      json(422, {
        error: {
          code: 'validation_failed',
          message: 'some fields are invalid',
          details: [{ field: 'client_id', message: '3-20 of A-Z a-z 0-9 _ -' }],
          request_id: 'req-1',
        },
      }),
    );
    const e = await failure(c.post('/api/clients', {}));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(422);
    expect(e.code).toBe('validation_failed');
    expect(e.message).toBe('some fields are invalid');
    expect(e.details).toEqual([{ field: 'client_id', message: '3-20 of A-Z a-z 0-9 _ -' }]);
    expect(e.requestId).toBe('req-1');
  });

  it('maps a non-JSON error (a proxy page) to http_<status>', async () => {
    const { c } = client(async () => new Response('<html>Bad gateway</html>', { status: 502, statusText: 'Bad Gateway' }));
    const e = await failure(c.get('/api/x'));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('http_502');
    expect(e.status).toBe(502);
    expect(e.details).toEqual([]);
  });

  it('on 401 clears the token and calls onUnauthorized', async () => {
    const { c, onUnauthorized } = client(async () =>
      json(401, { error: { code: 'unauthorized', message: 'token expired', details: [] } }),
    );
    c.token = 'old';
    const e = await failure(c.get('/api/auth/me'));
    expect(e.code).toBe('unauthorized');
    expect(c.token).toBeNull();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('a wrong login (401 on /api/auth/login) does not trigger the session-ended path', async () => {
    const { c, onUnauthorized } = client(async () =>
      json(401, { error: { code: 'unauthorized', message: 'Invalid username or password', details: [] } }),
    );
    const e = await failure(c.post('/api/auth/login', { username: 'a', password: 'b' }));
    expect(e.message).toBe('Invalid username or password');
    expect(onUnauthorized).not.toHaveBeenCalled();
  });

  it('turns a network failure into network_error with status 0', async () => {
    const { c } = client(async () => {
      throw new TypeError('Failed to fetch');
    });
    const e = await failure(c.get('/api/x'));
    expect(e).toBeInstanceOf(ApiError);
    expect(e.status).toBe(0);
    expect(e.code).toBe('network_error');
  });

  it('returns undefined for 204 and empty bodies', async () => {
    const { c } = client(async () => new Response(null, { status: 204 }));
    expect(await c.del('/api/x/1')).toBeUndefined();
  });

  it('stores the token in its storage and removes it on null', () => {
    const { c } = client(async () => json(200, {}));
    c.token = 'abc';
    expect(c.token).toBe('abc');
    c.token = null;
    expect(c.token).toBeNull();
  });
});
