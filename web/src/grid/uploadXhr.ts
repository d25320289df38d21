// The CSV preview upload with progress. fetch() cannot report upload progress, so this one call
// uses XMLHttpRequest; errors come back as the same ApiError the shared client throws.
import { api, ApiError } from '../api/client';

export function uploadWithProgress<T>(
  path: string,
  form: FormData,
  headers: Record<string, string>,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('Accept', 'application/json');
    if (api.token) xhr.setRequestHeader('Authorization', `Bearer ${api.token}`);
    for (const [k, v] of Object.entries(headers)) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The server cannot be reached; check the connection and try again'));
    xhr.onload = () => {
      let body: unknown = null;
      try {
        body = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        /* not JSON */
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const e = (body as { error?: { code: string; message: string; details?: []; request_id?: string } } | null)?.error;
      if (xhr.status === 401) {
        api.token = null;
        api.onUnauthorized?.();
      }
      reject(
        e ? new ApiError(xhr.status, e.code, e.message, e.details ?? [], e.request_id) : new ApiError(xhr.status, `http_${xhr.status}`, xhr.statusText),
      );
    };
    xhr.send(form);
  });
}
