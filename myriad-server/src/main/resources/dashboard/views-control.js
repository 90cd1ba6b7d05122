// Views for people in control: the approvals inbox, deliveries, the audit log, and the fleet
// controls (pause, resume, kill). Routes a server lacks show as "not available".
import { api, ApiError, h, errorBox, listOf, fmt, stateBadge } from './api.js';

// --------------------------------------------------------------------------------- Approvals

export function approvals(root) {
  const status = h('span', { class: 'muted', role: 'status' });
  const box = h('div', { class: 'approvals', id: 'approvals' });
  const err = h('div', {});
  root.append(h('div', { class: 'view-head' }, h('h1', {}, 'Approvals'), status), err, box);
  const cards = new Map(); // id -> card, kept across refreshes so typed comments survive
  let stopped = false;

  async function refresh() {
    try {
      const items = listOf(await api('/v1/approvals?limit=100'), 'approvals', 'pending');
      err.replaceChildren();
      status.textContent = `${items.length} pending · refreshed ${new Date().toLocaleTimeString()}`;
      const ids = new Set(items.map(a => a.id));
      for (const [id, card] of cards) if (!ids.has(id) && !card.dataset.busy) { card.remove(); cards.delete(id); }
      for (const a of items) if (!cards.has(a.id)) { const c = card(a); cards.set(a.id, c); box.append(c); }
      if (cards.size === 0) box.replaceChildren(h('p', { class: 'notice empty-inbox' }, 'Nothing waits for a decision.'));
      else box.querySelector('.empty-inbox')?.remove();
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Approvals'));
      if (e instanceof ApiError && e.missingRoute) stop();
    }
  }

  function card(a) {
    const cid = 'c-' + a.id.replace(/[^a-zA-Z0-9_-]/g, '_');
    const comment = h('textarea', { id: cid, rows: 2, placeholder: 'why (recorded in the audit log)' });
    const result = h('p', { class: 'result', role: 'status' });
    const c = h('article', { class: 'card approval', 'data-approval': a.id },
      h('header', {}, h('h2', {}, h('code', {}, a.tool)), h('small', {}, ' in ', a.tenant, '/', a.fleet, ' · run ',
        h('a', { href: `#/runs/${encodeURIComponent(a.run)}`, class: 'mono' }, a.run)),
        h('span', { class: 'spacer' }), a.expired ? h('span', { class: 'state st-bad' }, 'expired') : h('small', { class: 'muted' }, 'expires ', fmt.time(a.expires_at))),
      h('p', { class: 'meta' }, 'rule ', h('code', {}, a.rule || '—'), ' · requested ', fmt.ago(a.requested_at), ' · id ', h('code', {}, a.id)),
      h('details', { open: true }, h('summary', {}, 'arguments'), h('pre', {}, pretty(a.arguments))),
      h('div', { class: 'field' }, h('label', { for: cid }, 'Comment'), comment),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'primary approve', onclick: () => decide('approve') }, 'Approve'),
        h('button', { type: 'button', class: 'danger deny', onclick: () => decide('deny') }, 'Deny')),
      result);
    async function decide(verb) {
      c.dataset.busy = '1';
      for (const b of c.querySelectorAll('button')) b.disabled = true;
      try {
        await api(`/v1/approvals/${encodeURIComponent(a.id)}/${verb}`, { method: 'POST', body: { comment: comment.value.trim() } });
        result.className = 'result ok';
        result.textContent = verb === 'approve' ? 'Approved.' : 'Denied.';
        c.classList.add('decided');
        setTimeout(() => { c.remove(); cards.delete(a.id); }, 1500);
      } catch (e) {
        result.className = 'result error';
        result.textContent = e.message;
        delete c.dataset.busy;
        for (const b of c.querySelectorAll('button')) b.disabled = false;
      }
    }
    return c;
  }

  refresh();
  const timer = setInterval(refresh, 2000);
  function stop() { stopped = true; clearInterval(timer); }
  return () => { if (!stopped) stop(); };
}

function pretty(v) {
  if (typeof v !== 'string') return JSON.stringify(v, null, 2);
  try { return JSON.stringify(JSON.parse(v), null, 2); } catch { return v; }
}

// -------------------------------------------------------------------------------- Deliveries

export function deliveries(root) {
  const err = h('div', {});
  const tbody = h('tbody', {});
  const diff = h('div', { class: 'diff-view', id: 'diff' });
  root.append(h('div', { class: 'view-head' }, h('h1', {}, 'Deliveries')), err,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid' },
      h('thead', {}, h('tr', {}, ['Delivery', 'Run', 'Task', 'Verdict', 'Reason', 'Diff', 'Created', ''].map(c => h('th', { scope: 'col' }, c)))),
      tbody)), diff);

  async function show(d) {
    diff.replaceChildren(h('p', { class: 'muted' }, 'Loading the diff…'));
    try {
      let patch = d.patch;
      if (patch == null) {
        const full = await api(`/v1/deliveries/${encodeURIComponent(d.id)}`);
        patch = full.patch ?? (typeof full.diff === 'string' ? full.diff : null);
      }
      diff.replaceChildren(h('h2', {}, 'Delivery ', h('code', {}, d.id), ' ', verdict(d.verdict)),
        d.explanation ? h('p', {}, d.explanation) : null,
        (d.checks || []).length ? h('ul', { class: 'checks' }, d.checks.map(c => h('li', { class: c.exit_code === 0 ? 'ok' : 'bad' },
          `${c.phase}: `, h('code', {}, c.command), ` → exit ${c.exit_code} in ${fmt.ms(c.millis)}`))) : null,
        patch ? renderDiff(patch) : h('p', { class: 'muted' }, 'No patch was delivered.'));
      diff.scrollIntoView({ block: 'nearest' });
    } catch (e) {
      diff.replaceChildren(errorBox(e, 'Diff'));
    }
  }

  (async () => {
    try {
      const items = listOf(await api('/v1/deliveries?limit=100'), 'deliveries');
      tbody.replaceChildren(...items.map(d => h('tr', {},
        h('td', { class: 'mono' }, d.id),
        h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(d.run)}`, class: 'mono' }, d.run)),
        h('td', {}, d.task), h('td', {}, verdict(d.verdict)), h('td', {}, d.reason),
        h('td', { class: 'num' }, typeof d.diff === 'object' && d.diff ? `+${d.diff.added ?? d.diff.insertions ?? '?'} −${d.diff.removed ?? d.diff.deletions ?? '?'}` : d.diff ?? ''),
        h('td', {}, fmt.ago(d.created_at)),
        h('td', {}, h('button', { type: 'button', onclick: () => show(d) }, 'View diff')))));
      if (!items.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No deliveries yet: coding fleets deliver verified patches here.')));
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Deliveries'));
    }
  })();
}

function verdict(v) {
  const cls = /deliver|pass|verified|accept/.test(v || '') ? 'st-ok' : /fail|reject/.test(v || '') ? 'st-bad' : 'st-warn';
  return h('span', { class: 'state ' + cls }, v || '?');
}

/** A unified diff with added lines green, removed lines red, hunks and file headers marked. */
export function renderDiff(patch) {
  const lines = String(patch).split('\n');
  return h('pre', { class: 'diff', 'aria-label': 'diff' }, lines.map(l => {
    const cls = l.startsWith('+++') || l.startsWith('---') || l.startsWith('diff ') || l.startsWith('index ') ? 'd-file'
      : l.startsWith('@@') ? 'd-hunk' : l.startsWith('+') ? 'd-add' : l.startsWith('-') ? 'd-del' : 'd-ctx';
    return h('span', { class: cls }, l + '\n');
  }));
}

// ------------------------------------------------------------------------------------- Audit

export function audit(root) {
  const verify = h('div', { class: 'verify', id: 'audit-verify', role: 'status' }, 'Verifying the hash chain…');
  const err = h('div', {});
  const tbody = h('tbody', {});
  root.append(h('div', { class: 'view-head' }, h('h1', {}, 'Audit log'),
    h('button', { type: 'button', onclick: () => load() }, 'Refresh')), verify, err,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid audit' },
      h('thead', {}, h('tr', {}, ['#', 'At', 'Tenant', 'Actor', 'Action', 'Subject', 'Details', 'Hash'].map(c => h('th', { scope: 'col' }, c)))),
      tbody)));

  async function load() {
    try {
      const v = await api('/v1/audit/verify');
      const ok = v.ok ?? v.valid ?? v.intact;
      verify.className = 'verify ' + (ok ? 'ok' : 'bad');
      verify.replaceChildren(h('strong', {}, ok ? '✓ Hash chain intact' : '✗ Hash chain broken'), ' ',
        h('span', {}, Object.entries(v).filter(([k]) => !['ok', 'valid', 'intact'].includes(k))
          .map(([k, x]) => `${k.replace(/_/g, ' ')}: ${typeof x === 'object' ? JSON.stringify(x) : x}`).join(' · ')));
    } catch (e) {
      verify.className = 'verify';
      verify.replaceChildren(errorBox(e, 'Verification'));
    }
    try {
      const items = listOf(await api('/v1/audit?limit=100'), 'records', 'audit', 'entries');
      err.replaceChildren();
      tbody.replaceChildren(...items.map(r => h('tr', {},
        h('td', { class: 'num' }, r.seq), h('td', { title: r.at }, fmt.time(r.at_ms ?? r.at)), h('td', {}, r.tenant),
        h('td', {}, r.actor), h('td', {}, h('code', {}, r.action)), h('td', { class: 'mono' }, r.subject),
        h('td', {}, r.details == null ? '' : h('details', {}, h('summary', {}, 'details'), h('pre', {}, pretty(r.details)))),
        h('td', { class: 'mono hash', title: r.hash }, String(r.hash || '').slice(0, 12)))));
      if (!items.length) tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No audit records yet.')));
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Audit log'));
    }
  }
  load();
}

// ----------------------------------------------------------------------------------- Control

export function control(root, _params, app) {
  const log = h('ol', { class: 'control-log', id: 'control-log', 'aria-live': 'polite' });
  const err = h('div', {});
  const tbody = h('tbody', {});
  const runId = h('input', { id: 'kill-run', placeholder: 'run id', autocomplete: 'off' });
  root.append(h('div', { class: 'view-head' }, h('h1', {}, 'Control')), err,
    h('p', { class: 'muted' }, 'Pause stops new steps, resume continues, kill cancels every run of the fleet. Each action is audited.'),
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid control' },
      h('thead', {}, h('tr', {}, ['Fleet', 'Tenant', 'State', 'Runs', 'Actions'].map(c => h('th', { scope: 'col' }, c)))), tbody)),
    h('form', { class: 'filters kill-run', onsubmit: e => { e.preventDefault(); killRun(); } },
      h('div', { class: 'field' }, h('label', { for: 'kill-run' }, 'Kill one run'), runId),
      h('button', { type: 'submit', class: 'danger' }, 'Kill run…')),
    h('h2', {}, 'Results'), log);

  function note(ok, text) {
    log.prepend(h('li', { class: ok ? 'ok' : 'bad' }, h('time', {}, new Date().toLocaleTimeString()), ' ', text));
  }

  async function act(verb, body, label) {
    try {
      const answer = await api('/v1/' + verb, { method: 'POST', body });
      note(true, `${label}: done${answer && answer.message ? ' — ' + answer.message : ''}`);
      load();
    } catch (e) {
      note(false, e instanceof ApiError && e.missingRoute ? `${label}: not available (no route POST /v1/${verb} on this server)` : `${label}: ${e.message}`);
    }
  }

  async function fleetAction(f, verb) {
    const name = `${f.tenant}/${f.fleet}`;
    if (verb === 'kill') {
      const v = await app.confirm(`Kill fleet ${name}?`, 'Every run of the fleet is cancelled. This cannot be undone.',
        { action: 'Kill fleet', fields: [{ name: 'reason', label: 'Reason', required: true, placeholder: 'why (recorded in the audit log)' }] });
      if (v) act('kill', { fleet: f.fleet, tenant: f.tenant, reason: v.reason }, `kill ${name}`);
      return;
    }
    const v = await app.confirm(`${verb === 'pause' ? 'Pause' : 'Resume'} fleet ${name}?`,
      verb === 'pause' ? 'Runs stop taking new steps until the fleet is resumed.' : 'Paused runs continue.',
      { action: verb === 'pause' ? 'Pause' : 'Resume', danger: verb === 'pause' });
    if (v) act(verb, { fleet: f.fleet, tenant: f.tenant }, `${verb} ${name}`);
  }

  async function killRun() {
    const id = runId.value.trim();
    if (!id) { runId.focus(); return; }
    const v = await app.confirm(`Kill run ${id}?`, 'The run is cancelled.',
      { action: 'Kill run', fields: [{ name: 'reason', label: 'Reason', required: true }] });
    if (v) act('kill', { run: id, reason: v.reason }, `kill run ${id}`);
  }

  async function scale(f) {
    const name = `${f.tenant}/${f.fleet}`;
    const v = await app.confirm(`Scale fleet ${name}?`, `Runs in progress at once now: ${f.concurrency}. More start at once; `
      + 'fewer take effect as runs in progress finish.',
      { action: 'Scale', fields: [{ name: 'concurrency', label: 'Runs at once', required: true, placeholder: String(f.concurrency) }] });
    if (!v) return;
    const n = Number(v.concurrency);
    if (!Number.isInteger(n) || n < 1) { note(false, `scale ${name}: the number of runs must be a whole number from 1`); return; }
    try {
      await api(`/v1/fleets/${encodeURIComponent(f.tenant)}/${encodeURIComponent(f.fleet)}/scale`,
        { method: 'POST', body: { concurrency: n } });
      note(true, `scale ${name} to ${n}: done`);
      load();
    } catch (e) {
      note(false, `scale ${name}: ${e.message}`);
    }
  }

  async function load() {
    try {
      const fleets = listOf(await api('/v1/fleets'), 'fleets');
      err.replaceChildren();
      tbody.replaceChildren(...fleets.map(f => h('tr', { 'data-fleet': `${f.tenant}/${f.fleet}` },
        h('td', {}, h('b', {}, f.fleet)), h('td', {}, f.tenant),
        h('td', {}, h('span', { class: 'state fleet-state fs-' + f.state }, f.state), f.paused ? [' ', stateBadge('paused')] : null),
        h('td', { class: 'num' }, fmt.int(Object.values(f.runs || {}).reduce((s, n) => s + n, 0))),
        h('td', { class: 'actions' },
          h('button', { type: 'button', class: 'pause', onclick: () => fleetAction(f, 'pause') }, 'Pause…'),
          h('button', { type: 'button', class: 'resume', onclick: () => fleetAction(f, 'resume') }, 'Resume…'),
          h('button', { type: 'button', class: 'danger kill', onclick: () => fleetAction(f, 'kill') }, 'Kill…'),
          f.state === 'running' && f.concurrency ? h('button', { type: 'button', class: 'scale', onclick: () => scale(f) },
            `Scale (${f.concurrency})…`) : null))));
      if (!fleets.length) tbody.append(h('tr', {}, h('td', { colspan: 5, class: 'empty' }, 'No hosted fleets.')));
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Fleets'));
    }
  }
  load();
}
