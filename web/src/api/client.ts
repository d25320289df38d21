// The one way the app talks to the server: JSON in/out, the bearer token, and the server's one
// error body ({"error": {code, message, details[{field, message}], request_id}}) turned into ApiError.
export interface FieldError {
  field: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    public status: number,
    public code: string,
    message: string,
    public details: FieldError[] = [],
    public requestId?: string,
  ) {
    super(message);
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

export interface ClientOptions {
  /// Where the token lives; localStorage in the browser, a Map in tests.
  storage?: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;
  fetch?: typeof fetch;
  base?: string;
  /// Called on any 401 so the app can return to the login page.
  onUnauthorized?: () => void;
}

const TOKEN_KEY = 'kpi.token';

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

export async function toApiError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON (proxy page, network error): fall through */
  }
  const e = (body as { error?: { code?: string; message?: string; details?: FieldError[]; request_id?: string } })
    ?.error;
  if (e && typeof e.code === 'string') {
    return new ApiError(res.status, e.code, e.message ?? res.statusText, e.details ?? [], e.request_id);
  }
  return new ApiError(res.status, 'http_' + res.status, res.statusText || `HTTP ${res.status}`);
}

export class ApiClient {
  private storage: NonNullable<ClientOptions['storage']>;
  private fetcher: typeof fetch;
  private base: string;
  onUnauthorized?: () => void;

  constructor(opts: ClientOptions = {}) {
    this.storage = opts.storage ?? globalThis.localStorage;
    this.fetcher = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.base = opts.base ?? '';
    this.onUnauthorized = opts.onUnauthorized;
  }

  get token(): string | null {
    return this.storage.getItem(TOKEN_KEY);
  }
  set token(t: string | null) {
    if (t) this.storage.setItem(TOKEN_KEY, t);
    else this.storage.removeItem(TOKEN_KEY);
  }

  /// Raw request: adds the token, maps errors. `body` may be JSON-able, FormData or a string.
  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response> {
    const h: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.token) h.Authorization = `Bearer ${this.token}`;
    let payload: BodyInit | undefined;
    if (body instanceof FormData || typeof body === 'string') payload = body;
    else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
    let res: Response;
    try {
      res = await this.fetcher(this.base + path, { method, headers: h, body: payload });
    } catch (err) {
      throw new ApiError(0, 'network_error', 'The server cannot be reached; check the connection and try again');
    }
    if (!res.ok) {
      const e = await toApiError(res);
      if (res.status === 401 && !path.startsWith('/api/auth/login')) {
        this.token = null;
        this.onUnauthorized?.();
      }
      throw e;
    }
    return res;
  }

  async json<T>(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    const res = await this.request(method, path, body, headers);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', withQuery(path, query));
  }
  post<T>(path: string, body?: unknown, headers?: Record<string, string>): Promise<T> {
    return this.json<T>('POST', path, body, headers);
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, body);
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, body);
  }
  del<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('DELETE', withQuery(path, query));
  }
  /// Multipart upload (CSV); the browser sets the boundary.
  upload<T>(path: string, form: FormData, query?: Query): Promise<T> {
    return this.json<T>('POST', withQuery(path, query), form);
  }
  /// A file download with the token (exports, reports): returns the blob and the server's file name.
  async download(path: string, query?: Query): Promise<{ blob: Blob; filename: string }> {
    const res = await this.request('GET', withQuery(path, query), undefined, { Accept: '*/*' });
    const cd = res.headers.get('content-disposition') ?? '';
    const m = /filename="?([^";]+)"?/.exec(cd);
    return { blob: await res.blob(), filename: m?.[1] ?? path.split('/').pop() ?? 'download' };
  }
}

/// The app's client; `session.ts` sets onUnauthorized.
export const api = new ApiClient();

/// Saves a downloaded blob through a temporary link.
export function saveBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
