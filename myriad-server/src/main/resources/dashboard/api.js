// The dashboard's plumbing: calls to the API (JSON and server-sent events), a small element
// builder and number formats. No framework: the views build DOM nodes with h().

/** An error the API answered ({"error":{"code","message","status"}}), or a network failure. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
  /** True when the route does not exist on this server (an older or smaller build). */
  get missingRoute() {
    return this.status === 404 && this.code === 'not_found' && /^no route /.test(this.message);
  }
}

/** Calls the API; answers the parsed JSON or throws an ApiError with the server's message. */
export async function api(path, { method = 'GET', body } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach the server: ${e.message}`);
  }
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
  if (!res.ok) {
    const err = json && json.error;
    if (!err && res.status === 404) {
      // the router's own answer for an unknown route (not the API's error shape)
      throw new ApiError(404, 'not_found', `no route ${method} ${path.split('?')[0]}`);
    }
    throw new ApiError(res.status, err ? err.code : 'http_' + res.status,
      err ? err.message : `${method} ${path} answered ${res.status}`);
  }
  if (res.status === 401) {
    throw new ApiError(401, 'unauthenticated', 'sign in');
  }
  return json;
}

/** The list inside an answer: the array itself, or the first array among the given keys. */
export function listOf(answer, ...keys) {
  if (Array.isArray(answer)) return answer;
  for (const k of [...keys, 'items', 'data']) {
    if (answer && Array.isArray(answer[k])) return answer[k];
  }
  return [];
}

/**
 * Subscribes to server-sent events; handlers maps event names to functions of the parsed data.
 * Answers a function that closes the stream. The browser reconnects on its own after a network
 * error; an "end" event closes the stream for good.
 */
export function stream(path, handlers, onError) {
  const es = new EventSource(path, { withCredentials: true });
  for (const [name, fn] of Object.entries(handlers)) {
    es.addEventListener(name, ev => {
      let data = ev.data;
      try { data = JSON.parse(ev.data); } catch { /* plain text */ }
      fn(data, ev);
      if (name === 'end') es.close();
    });
  }
  if (!handlers.end) es.addEventListener('end', () => es.close());
  es.onerror = () => { if (onError && es.readyState === EventSource.CLOSED) onError(); };
  return () => es.close();
}

/** Builds an element: h('a', {href: '#'}, 'text', child...). Attributes starting with "on" are listeners. */
export function h(tag, attrs, ...children) {
  const el = tag.startsWith('svg:')
    ? document.createElementNS('http://www.w3.org/2000/svg', tag.slice(4))
    : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.setAttribute('class', v);
    else if (k === 'text') el.textContent = v;
    else if (k in el && !tag.startsWith('svg:') && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

/** A box that says what went wrong (the API's message), or that the server lacks the route. */
export function errorBox(e, what) {
  if (e instanceof ApiError && e.missingRoute) {
    return h('div', { class: 'notice unavailable', role: 'status' },
      h('strong', {}, `${what}: not available`), ' — this server has no such API route yet (', h('code', {}, e.message.replace(/^no route /, '')), ').');
  }
  return h('div', { class: 'notice error', role: 'alert' }, h('strong', {}, `${what}: `), e.message || String(e));
}

export const fmt = {
  int: n => (n ?? 0).toLocaleString('en-US'),
  usd: n => '$' + (n ?? 0).toFixed(n >= 100 ? 0 : n >= 1 ? 2 : 4),
  ms: n => n == null ? '' : n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(n < 10000 ? 2 : 1)} s`,
  rel: ms => ms == null ? '' : `+${(ms / 1000).toFixed(3)}s`,
  ago(t) {
    if (!t) return '';
    const ms = typeof t === 'number' ? t : Date.parse(t);
    const s = Math.round((Date.now() - ms) / 1000);
    if (s < 5) return 'just now';
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
    return new Date(ms).toISOString().slice(0, 16).replace('T', ' ');
  },
  time: t => t ? new Date(typeof t === 'number' ? t : Date.parse(t)).toISOString().replace('T', ' ').slice(0, 19) : '',
};

/** Run states in display order, with the colour class each one has. */
export const STATES = ['new', 'awaiting_model', 'acting', 'answered', 'awaiting_approval', 'awaiting_children', 'in_doubt',
  'succeeded', 'failed', 'cancelled', 'limited', 'budget_exhausted', 'stuck'];

export function stateClass(state) {
  const s = String(state || '').toLowerCase();
  if (s === 'succeeded') return 'st-ok';
  if (s === 'failed' || s === 'stuck') return 'st-bad';
  if (s === 'awaiting_model' || s === 'acting' || s === 'answered') return 'st-run';
  if (s === 'awaiting_approval' || s === 'awaiting_children' || s === 'in_doubt') return 'st-wait';
  if (s === 'cancelled' || s === 'limited' || s === 'budget_exhausted') return 'st-warn';
  return 'st-idle';
}

export function stateBadge(state) {
  return h('span', { class: 'state ' + stateClass(state) }, String(state || '?').replace(/_/g, ' '));
}

/** True for final states (no further events expected). */
export function isFinal(state) {
  return ['succeeded', 'failed', 'cancelled', 'limited', 'stuck', 'budget_exhausted'].includes(state);
}
