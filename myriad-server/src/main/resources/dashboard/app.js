// The dashboard's shell: sign-in, the top bar, hash routing between views, the confirm dialog.
import { api, ApiError, h, errorBox, listOf } from './api.js';
import { overview, runs, run } from './views-runs.js';
import { approvals, deliveries, audit, control } from './views-control.js';

const main = document.getElementById('main');
const topbar = document.getElementById('topbar');
let cleanup = () => {};
let approvalsTimer = null;

const VIEWS = { overview, runs, run, approvals, deliveries, audit, control };

/** The app's shared services, handed to every view. */
const app = {
  /** Shows or hides the SIMULATED badge in the top bar. */
  simulated(on) {
    if (on) document.getElementById('sim-badge').hidden = false;
  },
  /** Asks the user to confirm; answers the extra fields' values, or null when cancelled. */
  confirm,
  signedOut() { signIn(); },
};

async function start() {
  try {
    const who = await api('/v1/whoami');
    shell(who);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) signIn();
    else {
      main.replaceChildren(errorBox(e, 'Cannot load the dashboard'));
    }
  }
}

function signIn(message) {
  cleanup();
  cleanup = () => {};
  clearInterval(approvalsTimer);
  topbar.hidden = true;
  const input = h('input', { id: 'key', name: 'key', type: 'password', autocomplete: 'current-password', required: true,
    placeholder: 'myr_…', 'aria-describedby': 'key-help' });
  const status = h('p', { class: 'signin-status', role: 'status', 'aria-live': 'polite' }, message || '');
  const form = h('form', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, h('span', { class: 'logo', 'aria-hidden': 'true' }, '◆'), ' Myriad'),
    h('label', { for: 'key' }, 'API key'),
    input,
    h('p', { id: 'key-help', class: 'help' }, 'Create one with ', h('code', {}, 'myriad keys create --role owner --tenant NAME KEYNAME'),
      '. The key is kept in an HttpOnly cookie for this site only.'),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    status);
  form.addEventListener('submit', async ev => {
    ev.preventDefault();
    status.textContent = 'Signing in…';
    status.className = 'signin-status';
    try {
      await api('/v1/session', { method: 'POST', body: { key: input.value.trim() } });
      const who = await api('/v1/whoami');
      status.textContent = '';
      shell(who);
    } catch (e) {
      status.textContent = e.message;
      status.className = 'signin-status error';
      input.focus();
    }
  });
  main.replaceChildren(form);
  input.focus();
}

function shell(who) {
  topbar.hidden = false;
  const grants = Object.entries(who.grants || {}).map(([t, roles]) => `${t}: ${roles.join(', ')}`).join('; ');
  document.getElementById('who').replaceChildren(
    h('span', { class: 'kind' }, who.kind || 'principal'), ' ', h('b', { id: 'who-name', title: grants }, who.name || who.id));
  document.getElementById('sign-out').onclick = async () => {
    try { await api('/v1/session', { method: 'DELETE' }); } catch { /* signed out anyway */ }
    signIn('Signed out.');
  };
  window.onhashchange = route;
  pollApprovals();
  route();
}

/** Keeps the approvals count in the top bar; stops when the server has no approvals route. */
function pollApprovals() {
  clearInterval(approvalsTimer);
  const badge = document.getElementById('approvals-count');
  const tick = async () => {
    try {
      const n = listOf(await api('/v1/approvals?limit=100'), 'approvals', 'pending').length;
      badge.textContent = n >= 100 ? '99+' : String(n);
      badge.hidden = n === 0;
    } catch (e) {
      if (e instanceof ApiError && (e.missingRoute || e.status === 403)) clearInterval(approvalsTimer);
      if (e instanceof ApiError && e.status === 401) signIn('Your session ended; sign in again.');
    }
  };
  tick();
  approvalsTimer = setInterval(tick, 5000);
}

function route() {
  cleanup();
  cleanup = () => {};
  const hash = location.hash.replace(/^#\/?/, '') || 'overview';
  const [name, ...rest] = hash.split('?')[0].split('/');
  let view = VIEWS[name] ? name : 'overview';
  let params = rest.map(decodeURIComponent);
  if (name === 'runs' && params.length > 0) {
    view = 'run';
  }
  for (const a of document.querySelectorAll('nav a')) {
    const active = a.dataset.view === (view === 'run' ? 'runs' : view);
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  }
  const root = h('section', { class: 'view view-' + view, 'aria-live': 'off' });
  main.replaceChildren(root);
  document.title = `Myriad · ${view[0].toUpperCase()}${view.slice(1)}`;
  try {
    cleanup = VIEWS[view](root, params, app) || (() => {});
  } catch (e) {
    root.replaceChildren(errorBox(e, 'This view failed'));
  }
}

/**
 * A modal confirmation. fields: [{name, label, required, placeholder}] shown as inputs; answers
 * their values by name when confirmed, null when cancelled.
 */
function confirm(title, text, { fields = [], action = 'Confirm', danger = true } = {}) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-title').textContent = title;
  document.getElementById('confirm-text').textContent = text;
  const ok = document.getElementById('confirm-ok');
  ok.textContent = action;
  ok.className = danger ? 'danger' : 'primary';
  const inputs = fields.map(f => h('input', { id: 'confirm-' + f.name, name: f.name, required: !!f.required,
    placeholder: f.placeholder || '', autocomplete: 'off' }));
  document.getElementById('confirm-extra').replaceChildren(...fields.map((f, i) =>
    h('div', { class: 'field' }, h('label', { for: 'confirm-' + f.name }, f.label), inputs[i])));
  return new Promise(resolve => {
    const form = document.getElementById('confirm-form');
    const done = value => {
      form.onsubmit = null;
      document.getElementById('confirm-cancel').onclick = null;
      dialog.onclose = null;
      if (dialog.open) dialog.close();
      resolve(value);
    };
    form.onsubmit = ev => {
      ev.preventDefault();
      if (!form.reportValidity()) return;
      done(Object.fromEntries(fields.map((f, i) => [f.name, inputs[i].value.trim()])));
    };
    document.getElementById('confirm-cancel').onclick = () => done(null);
    dialog.onclose = () => done(null);
    dialog.showModal();
    (inputs[0] || document.getElementById('confirm-cancel')).focus();
  });
}

start();
