// Calls to the Management API through the dashboard's same-origin proxy. The access token
// never reaches this page: the server adds it. State-changing calls carry the session's
// CSRF token, which the server put in a <meta> of the shell.
const csrf = document.querySelector('meta[name="gatehouse-csrf"]')?.content ?? '';

export class ApiError extends Error {
  constructor(status, body) {
    super(body?.message || `The server answered ${status}.`);
    this.status = status;
    this.body = body;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`/dashboard/api/v2${path}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin', cache: 'no-store',
  });
  const text = await response.text();
  const json = text ? JSON.parse(text) : null;
  if (response.status === 401) {
    document.dispatchEvent(new CustomEvent('gatehouse:signed-out'));
  }
  if (!response.ok) throw new ApiError(response.status, json);
  return json;
}

export const get = (path) => api('GET', path);
