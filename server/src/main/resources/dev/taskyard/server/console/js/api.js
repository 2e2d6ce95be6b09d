// The console's only way to the server: the public REST API, by the routes below (a unit test checks each of them
// against /v1/openapi.json, and that no other file calls fetch or names an API path).

/** Every API call of the console: [method, path template of the OpenAPI document]. */
export const ROUTES = Object.freeze({
  listTasks: ['GET', '/v1/tasks'],
  submitTask: ['POST', '/v1/tasks'],
  getTask: ['GET', '/v1/tasks/{task_id}'],
  deleteTask: ['DELETE', '/v1/tasks/{task_id}'],
  cancelTask: ['POST', '/v1/tasks/{task_id}/cancel'],
  taskPayload: ['GET', '/v1/tasks/{task_id}/payload'],
  taskLog: ['GET', '/v1/tasks/{task_id}/log'],
  listArtifacts: ['GET', '/v1/tasks/{task_id}/artifacts'],
  downloadArtifact: ['GET', '/v1/tasks/{task_id}/artifacts/{name}'],
  payloadSchema: ['GET', '/v1/schemas/payload'],
  listActions: ['GET', '/v1/actions'],
  runAction: ['POST', '/v1/actions/{action}'],
  stats: ['GET', '/v1/stats'],
});

const TOKEN_KEY = 'taskyard.token';

/** The bearer token lives in this tab's session storage only: never in a URL, a cookie or local storage. */
export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  signIn: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  signOut: () => sessionStorage.removeItem(TOKEN_KEY),
};

/** A problem answer (RFC 9457) or a failure to reach the server. */
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `the server answered ${status}`);
    this.status = status;
    this.problem = problem;
    this.errors = Array.isArray(problem.errors) ? problem.errors : [];
  }
}

const unauthorizedListeners = new Set();

/** Calls back when the server refuses the token (401); the console then shows the sign-in again. */
export function onUnauthorized(listener) {
  unauthorizedListeners.add(listener);
}

function pathOf(template, params) {
  return template.replace(/\{([a-z_]+)\}/g, (_, name) => {
    const value = params[name];
    if (value === undefined || value === null) {
      throw new Error(`missing path parameter ${name}`);
    }
    // artifact names may contain slashes: each segment is encoded on its own
    return String(value).split('/').map(encodeURIComponent).join('/');
  });
}

/**
 * Sends one request of ROUTES with the session's token and returns the Response (2xx, 206 and 304 pass through).
 * A problem answer is thrown as ApiError; 401 also signs out and tells the onUnauthorized listeners.
 * options: params (path), query (object), body (JSON value), headers, signal, token (instead of the session's).
 */
export async function call(route, options = {}) {
  const [method, template] = route;
  if (!Object.values(ROUTES).includes(route)) {
    throw new Error(`not a route of the console: ${method} ${template}`);
  }
  let url = pathOf(template, options.params || {});
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(options.query || {})) {
    if (value !== undefined && value !== null && value !== '') {
      query.set(key, value);
    }
  }
  if ([...query.keys()].length > 0) {
    url += `?${query}`;
  }
  const headers = new Headers(options.headers || {});
  const token = options.token ?? session.token();
  if (token) {
    headers.set('Authorization', `Bearer ${token}`);
  }
  let body;
  if (options.body !== undefined) {
    headers.set('Content-Type', 'application/json');
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(url, {method, headers, body, signal: options.signal, cache: 'no-store', credentials: 'omit', redirect: 'error'});
  } catch (e) {
    if (e.name === 'AbortError') {
      throw e;
    }
    throw new ApiError(0, {title: 'Server unreachable', detail: `cannot reach the taskyard server: ${e.message}`});
  }
  if (response.status >= 400) {
    let problem;
    try {
      problem = await response.json();
    } catch (e) {
      problem = {title: response.statusText, detail: `the server answered ${response.status}`};
    }
    if (response.status === 401 && options.token === undefined) {
      session.signOut();
      unauthorizedListeners.forEach((listener) => listener(problem));
    }
    throw new ApiError(response.status, problem);
  }
  return response;
}

/** call() and the JSON body of the answer. */
export async function json(route, options = {}) {
  const response = await call(route, options);
  if (response.status === 204 || response.status === 304) {
    return null;
  }
  return response.json();
}
