// Views of fleets and runs: Overview (live fleet progress), Runs (a paginated table) and Run
// (one run's transcript, live).
import { api, ApiError, h, errorBox, listOf, stream, fmt, STATES, stateBadge, stateClass, isFinal } from './api.js';
import { stackedBar, sparkline, gauge } from './charts.js';

const FINAL = ['succeeded', 'failed', 'cancelled', 'limited', 'stuck', 'budget_exhausted'];
const HISTORY = 60; // points kept in each live chart (one a second)

// ---------------------------------------------------------------------------------- Overview

// A small fleet on the simulated model, to try the node without writing a file first.
const SAMPLE_FLEET = `fleet: try-me
model: {sim: {scenario: tools, tool_calls: 2, latency: 500ms}}
concurrency: 4
agents:
  writer:
    instructions: Write a short note about the task into notes.md, then answer in one sentence.
    tools: [fs.write, fs.read]
tasks: [${Array.from({ length: 40 }, (_, i) => `"task ${i + 1}"`).join(', ')}]
`;

/** "Deploy a fleet": a fleet file's YAML, posted to /v1/fleets; the new fleet appears above. */
function deployForm(onDeployed) {
  const text = h('textarea', { id: 'deploy-yaml', rows: 12, spellcheck: 'false', 'aria-label': 'Fleet file (YAML)' });
  text.value = SAMPLE_FLEET;
  const result = h('div', { class: 'result', role: 'status' });
  const button = h('button', { type: 'button', class: 'primary', onclick: async () => {
    button.disabled = true;
    result.replaceChildren('Deploying…');
    try {
      const res = await fetch('/v1/fleets', { method: 'POST', credentials: 'same-origin',
        headers: { 'Content-Type': 'application/yaml' }, body: text.value });
      const answer = await res.json().catch(() => null);
      if (!res.ok) throw new ApiError(res.status, answer?.error?.code || 'error', answer?.error?.message || res.statusText);
      result.replaceChildren(h('span', { class: 'ok' }, `Deployed ${answer.tenant}/${answer.fleet}: it runs now.`));
      onDeployed();
    } catch (e) {
      result.replaceChildren(errorBox(e, 'Deploy'));
    } finally {
      button.disabled = false;
    }
  } }, 'Deploy');
  return h('details', { class: 'card deploy' }, h('summary', {}, 'Deploy a fleet'),
    h('p', { class: 'muted' }, 'Paste a fleet file. Its tasks must be inline; the sample runs on the simulated model.'),
    text, h('div', { class: 'actions' }, button), result);
}

export function overview(root, _params, app) {
  const list = h('div', { class: 'fleets', id: 'fleets' });
  const budgets = h('div', { class: 'budgets', id: 'budgets' });
  const status = h('div', { class: 'status-line', role: 'status' });
  const alerts = h('div', { class: 'alerts', id: 'alerts', 'aria-live': 'polite' });
  const deploy = deployForm(() => refresh());
  root.append(h('div', { class: 'view-head' }, h('h1', {}, 'Overview'), status), alerts, list, deploy,
    h('h2', {}, 'Budgets'), budgets);
  const cards = new Map(); // "tenant/fleet" -> {card, close, history}
  let budgetData = null;
  let closed = false;

  async function refresh() {
    try {
      const fleets = listOf(await api('/v1/fleets'), 'fleets');
      status.textContent = `${fleets.length} hosted fleet${fleets.length === 1 ? '' : 's'} · updated ${new Date().toLocaleTimeString()}`;
      if (fleets.length === 0) {
        deploy.open = true;
        list.replaceChildren(h('div', { class: 'notice' }, 'No hosted fleets yet. Deploy one below, or with ',
          h('code', {}, 'myriad serve FLEET.yaml'), ' or POST /v1/fleets.'));
      }
      for (const f of fleets) {
        const key = `${f.tenant}/${f.fleet}`;
        let c = cards.get(key);
        if (!c) {
          c = fleetCard(f);
          cards.set(key, c);
          list.append(c.card);
        }
        if (c.execution !== f.execution) {
          c.execution = f.execution;
          c.close();
          c.close = () => {};
          c.update(f);
          if (f.state === 'running') {
            c.close = stream(`/v1/fleets/${encodeURIComponent(f.tenant)}/${encodeURIComponent(f.fleet)}/progress`, {
              progress: d => c.update(d),
              end: d => c.update(d),
            });
          }
        } else if (f.state !== 'running') {
          c.update(f);
        }
        if (f.simulated) app.simulated(true);
      }
    } catch (e) {
      status.replaceChildren(errorBox(e, 'Fleets'));
    }
  }

  function fleetCard(f) {
    const body = h('div', { class: 'card-body' });
    const card = h('article', { class: 'card fleet', 'data-fleet': `${f.tenant}/${f.fleet}`, 'aria-label': `fleet ${f.tenant}/${f.fleet}` });
    const c = { card, close: () => {}, execution: '(none)', throughput: [], cost: [], last: null };
    c.update = d => {
      const runs = d.runs || {};
      const finished = FINAL.reduce((s, k) => s + (runs[k] || 0), 0);
      const all = Object.values(runs).reduce((s, n) => s + n, 0);
      const now = performance.now();
      if (c.last && now - c.last.t > 200) {
        c.throughput.push(Math.max(0, (finished - c.last.finished) / ((now - c.last.t) / 1000)));
        c.cost.push(d.cost_usd || 0);
      } else if (!c.last) {
        c.throughput.push(0);
        c.cost.push(d.cost_usd || 0);
      }
      c.last = { t: now, finished };
      if (c.throughput.length > HISTORY) c.throughput.shift();
      if (c.cost.length > HISTORY) c.cost.shift();
      const counters = [
        ['tasks', d.tasks ?? all], ['in flight', all - finished], ['succeeded', runs.succeeded || 0],
        ['failed', (runs.failed || 0) + (runs.stuck || 0)], ['awaiting approval', runs.awaiting_approval || 0],
        ['tokens', d.tokens ?? 0],
      ];
      body.replaceChildren(
        h('header', {},
          h('h2', {}, h('a', { href: `#/runs?fleet=${encodeURIComponent(d.fleet)}` }, d.fleet), h('small', {}, ' ', d.tenant)),
          h('span', { class: 'state fleet-state fs-' + d.state }, d.state + (d.exit_code != null ? ` (exit ${d.exit_code})` : '')),
          d.simulated ? h('span', { class: 'badge sim', title: d.model }, 'SIMULATED') : null,
          h('span', { class: 'spacer' }),
          h('small', { class: 'muted', title: d.source }, `deployed by ${d.deployed_by} ${fmt.ago(d.deployed_at)}`)),
        h('dl', { class: 'counters' }, counters.map(([k, v]) =>
          h('div', { class: 'counter', 'data-k': k.replace(/ /g, '_') }, h('dt', {}, k), h('dd', {}, fmt.int(v))))),
        stackedBar(runs, d.tasks),
        h('div', { class: 'charts' },
          sparkline(c.throughput, { label: 'finished / s', format: v => v.toFixed(1) }),
          sparkline(c.cost, { label: 'cost', format: fmt.usd })),
        fleetBudget(d) || '');
    };
    card.append(body);
    return c;
  }

  function fleetBudget(d) {
    if (!budgetData || !d.execution) return null;
    for (const t of budgetData) {
      for (const ex of t.executions || []) {
        if (ex.execution === d.execution) {
          const rows = (ex.spend || []).filter(r => r.ceiling != null && r.spent != null);
          if (rows.length) return h('div', { class: 'fleet-budget' }, rows.map(budgetGauge));
        }
      }
    }
    return null;
  }

  async function loadBudgets() {
    try {
      budgetData = listOf(await api('/v1/budgets'), 'budgets', 'tenants');
      const blocks = budgetData.map(t => {
        const rows = (t.spend || []).filter(r => r.spent != null);
        return h('div', { class: 'card budget' }, h('h3', {}, 'tenant ', t.tenant),
          rows.length ? rows.map(budgetGauge) : h('p', { class: 'muted' }, 'no spend yet'));
      });
      budgets.replaceChildren(...(blocks.length ? blocks : [h('p', { class: 'muted' }, 'No spend and no budgets yet.')]));
    } catch (e) {
      budgets.replaceChildren(errorBox(e, 'Budgets'));
    }
  }

  // What needs a person now; links lead to the runs in that state.
  async function loadAlerts() {
    try {
      const items = listOf(await api('/v1/alerts'), 'alerts');
      alerts.replaceChildren(...items.map(a => h('div', { class: `alert alert-${a.level}`, role: 'alert', 'data-kind': a.kind },
        h('strong', {}, a.level === 'critical' ? 'Critical' : 'Attention'), ' ', a.message, ' ',
        a.state ? h('a', { href: a.state === 'awaiting_approval' ? '#/approvals' : `#/runs?state=${a.state}` }, 'see them') : '')));
    } catch (e) {
      alerts.replaceChildren(e instanceof ApiError && e.status === 404 ? '' : errorBox(e, 'Alerts'));
    }
  }

  refresh();
  loadBudgets();
  loadAlerts();
  const alertTimer = setInterval(() => { if (!closed) loadAlerts(); }, 3000);
  const timer = setInterval(() => { if (!closed) refresh(); }, 5000);
  const btimer = setInterval(() => { if (!closed) loadBudgets(); }, 10000);
  return () => {
    closed = true;
    clearInterval(timer);
    clearInterval(btimer);
    clearInterval(alertTimer);
    for (const c of cards.values()) c.close();
  };
}

function budgetGauge(r) {
  const usd = r.resource === 'usd';
  const show = v => usd ? fmt.usd(v) : fmt.int(v);
  if (r.ceiling == null) {
    return h('div', { class: 'gauge none' }, h('div', { class: 'glabel' }, h('span', {}, r.resource), h('span', {}, show(r.spent) + ' (no ceiling)')));
  }
  return gauge(r.resource, r.spent, r.ceiling, `${show(r.spent)} / ${show(r.ceiling)}`);
}

// -------------------------------------------------------------------------------------- Runs

const PAGE = 100;
const runsState = { fleet: '', state: '', agent: '', q: '' };

export function runs(root, _params, app) {
  const query = new URLSearchParams(location.hash.split('?')[1] || '');
  for (const k of Object.keys(runsState)) if (query.has(k)) runsState[k] = query.get(k);
  let rows = [];
  let limit = PAGE;
  let next = null;
  let more = true;
  const tbody = h('tbody', {});
  const info = h('span', { class: 'muted', role: 'status' });
  const err = h('div', {});
  const fleetSel = h('select', { id: 'f-fleet', onchange: e => { runsState.fleet = e.target.value; render(); } }, h('option', { value: '' }, 'all'));
  const stateSel = h('select', { id: 'f-state', onchange: e => { runsState.state = e.target.value; render(); } },
    h('option', { value: '' }, 'all'), STATES.map(s => h('option', { value: s }, s.replace(/_/g, ' '))));
  const agentSel = h('select', { id: 'f-agent', onchange: e => { runsState.agent = e.target.value; render(); } }, h('option', { value: '' }, 'all'));
  const text = h('input', { id: 'f-q', type: 'search', placeholder: 'id, task, detail…', value: runsState.q,
    oninput: e => { runsState.q = e.target.value; render(); } });
  stateSel.value = runsState.state;
  const live = h('input', { id: 'f-live', type: 'checkbox', checked: true });
  const moreBtn = h('button', { type: 'button', id: 'load-more', onclick: () => loadMore() }, 'Load more');
  root.append(
    h('div', { class: 'view-head' }, h('h1', {}, 'Runs'), info),
    h('form', { class: 'filters', onsubmit: e => e.preventDefault(), role: 'search', 'aria-label': 'Filter runs' },
      field('Fleet', fleetSel), field('State', stateSel), field('Agent', agentSel), field('Search', text),
      h('label', { class: 'check', for: 'f-live' }, live, ' live'),
      h('button', { type: 'button', onclick: () => load() }, 'Refresh')),
    err,
    h('div', { class: 'table-wrap' }, h('table', { class: 'grid runs' },
      h('thead', {}, h('tr', {}, ['Run', 'Fleet', 'Agent', 'State', 'Steps', 'Tokens', 'Cost', 'Updated'].map(c => h('th', { scope: 'col' }, c)))),
      tbody)),
    h('div', { class: 'pager' }, moreBtn));

  function params(extra) {
    const p = new URLSearchParams({ limit: String(extra?.limit ?? limit) });
    for (const [k, v] of Object.entries(runsState)) if (v) p.set(k, v);
    if (extra?.cursor) p.set('cursor', extra.cursor);
    return p;
  }

  async function load() {
    try {
      const answer = await api('/v1/runs?' + params({ limit: Math.min(limit, 1000) }));
      rows = listOf(answer, 'runs');
      next = answer && answer.next ? answer.next : null;
      more = next ? true : rows.length >= limit && limit < 1000;
      err.replaceChildren();
      render();
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Runs'));
    }
  }

  async function loadMore() {
    moreBtn.disabled = true;
    try {
      if (next) {
        // the server pages with a cursor: append the next page
        const answer = await api('/v1/runs?' + params({ limit: PAGE, cursor: next }));
        const page = listOf(answer, 'runs');
        rows = rows.concat(page);
        limit = rows.length;
        next = answer.next || null;
        more = !!next;
        render();
      } else {
        limit = Math.min(1000, limit + PAGE);
        await load();
      }
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Runs'));
    } finally {
      moreBtn.disabled = false;
    }
  }

  function options(sel, values, current) {
    const have = new Set([...sel.options].map(o => o.value));
    for (const v of [...values].sort()) if (!have.has(v)) sel.append(h('option', { value: v }, v));
    sel.value = current;
  }

  function render() {
    options(fleetSel, new Set(rows.map(r => r.fleet).concat(runsState.fleet ? [runsState.fleet] : [])), runsState.fleet);
    options(agentSel, new Set(rows.map(r => r.agent).concat(runsState.agent ? [runsState.agent] : [])), runsState.agent);
    const q = runsState.q.toLowerCase();
    const shown = rows.filter(r => (!runsState.fleet || r.fleet === runsState.fleet)
      && (!runsState.state || r.state === runsState.state)
      && (!runsState.agent || r.agent === runsState.agent)
      && (!q || [r.id, r.task, r.detail, r.fleet, r.agent, r.tenant].some(v => String(v ?? '').toLowerCase().includes(q))));
    tbody.replaceChildren(...shown.map(r => h('tr', { 'data-run': r.id },
      h('td', {}, h('a', { href: `#/runs/${encodeURIComponent(r.id)}`, class: 'mono' }, r.id)),
      h('td', {}, r.fleet, h('small', { class: 'muted' }, ' ', r.tenant)),
      h('td', {}, r.agent),
      h('td', {}, stateBadge(r.state)),
      h('td', { class: 'num' }, fmt.int(r.steps)),
      h('td', { class: 'num' }, fmt.int(r.tokens)),
      h('td', { class: 'num' }, fmt.usd(r.cost_usd)),
      h('td', { title: fmt.time(r.updated_at) }, fmt.ago(r.updated_at)))));
    if (shown.length === 0) {
      tbody.append(h('tr', {}, h('td', { colspan: 8, class: 'empty' }, rows.length ? 'No loaded run matches the filters; load more to search further.' : 'No runs yet.')));
    }
    info.textContent = `${shown.length} shown of ${rows.length} loaded${more ? '' : ' (all)'}`;
    moreBtn.hidden = !more;
  }

  load();
  const timer = setInterval(() => { if (live.checked && !next) load(); }, 3000);
  return () => clearInterval(timer);
}

function field(label, input) {
  return h('div', { class: 'field' }, h('label', { for: input.id }, label), input);
}

// --------------------------------------------------------------------------------------- Run

export function run(root, params, app) {
  const id = params[0];
  const head = h('div', { class: 'run-head' });
  const err = h('div', {});
  const list = h('ol', { class: 'transcript', id: 'transcript', 'aria-label': 'transcript' });
  const liveTag = h('span', { class: 'live-tag', role: 'status' });
  root.append(h('div', { class: 'view-head' }, h('h1', {}, h('a', { href: '#/runs' }, 'Runs'), ' / ', h('span', { class: 'mono' }, id)), liveTag),
    head, err, list);
  const ctx = { start: null, calls: new Map(), args: new Map(), seen: -1 };
  let close = () => {};
  let closed = false;

  async function summary() {
    try {
      const r = await api(`/v1/runs/${encodeURIComponent(id)}`);
      head.replaceChildren(h('dl', { class: 'counters run-summary' },
        [['fleet', `${r.tenant}/${r.fleet}`], ['agent', r.agent], ['task', r.task], ['state', stateBadge(r.state)],
          ['steps', fmt.int(r.steps)], ['tokens', fmt.int(r.tokens)], ['cost', fmt.usd(r.cost_usd)],
          ['updated', fmt.ago(r.updated_at)]].map(([k, v]) => h('div', { class: 'counter', 'data-k': k }, h('dt', {}, k), h('dd', {}, v)))),
        r.detail ? h('p', { class: 'detail' }, r.detail) : null);
      return r;
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Run'));
      return null;
    }
  }

  function add(rec) {
    if (rec.seq <= ctx.seen) return;
    ctx.seen = rec.seq;
    const node = entry(rec, ctx, app);
    if (node) list.append(node);
  }

  (async () => {
    const r = await summary();
    if (!r) return;
    try {
      const answer = await api(`/v1/runs/${encodeURIComponent(id)}/events`);
      for (const rec of listOf(answer, 'events')) add(rec);
    } catch (e) {
      err.replaceChildren(errorBox(e, 'Transcript'));
      return;
    }
    if (closed || isFinal(r.state)) {
      liveTag.textContent = 'final';
      return;
    }
    liveTag.textContent = '● live';
    liveTag.classList.add('on');
    close = stream(`/v1/runs/${encodeURIComponent(id)}/stream`, {
      event: rec => {
        add(rec);
        if (/^(run_|approval_|tool_call_in_doubt)/.test(rec.event?.type || '')) summary();
      },
      end: () => { liveTag.textContent = 'final'; liveTag.classList.remove('on'); summary(); },
    }, () => { liveTag.textContent = 'stream closed'; liveTag.classList.remove('on'); });
  })();
  return () => { closed = true; close(); };
}

function pre(text, cls) {
  let t = text ?? '';
  if (typeof t === 'string') {
    try { const j = JSON.parse(t); if (j && typeof j === 'object') t = JSON.stringify(j, null, 2); } catch { /* plain */ }
  } else {
    t = JSON.stringify(t, null, 2);
  }
  return h('pre', { class: cls || '' }, t);
}

/** One transcript entry for a journal record; tool results join their call's entry. */
function entry(rec, ctx, app) {
  const e = rec.event || {};
  if (ctx.start == null) ctx.start = e.at;
  const rel = h('time', { class: 'rel', title: fmt.time(e.at) }, fmt.rel(e.at - ctx.start));
  const li = (kind, title, ...body) => h('li', { class: `ev ev-${e.type} ${kind}`, 'data-seq': rec.seq },
    rel, h('div', { class: 'ev-body' }, h('div', { class: 'ev-title' }, title), ...body));
  switch (e.type) {
    case 'run_started': {
      const sim = e.model === 'myriad-sim' || String(e.model || '').startsWith('sim');
      if (sim) app.simulated(true);
      return li('k-start', h('span', {}, 'Run started · ', h('b', {}, e.agent), ' on task ', h('b', {}, e.task),
        ' · model ', h('code', {}, e.model), sim ? h('span', { class: 'badge sim' }, 'SIMULATED') : null),
        h('div', { class: 'msg user' }, h('span', { class: 'role' }, 'task input'), pre(e.input)));
    }
    case 'model_responded': {
      const m = e.message || {};
      const calls = m.toolCalls || [];
      for (const c of calls) ctx.args.set(c.id, c);
      const u = e.usage || {};
      return li('k-model', h('span', {}, 'Model ', h('code', {}, e.model), h('span', { class: 'meta' },
        ` ${fmt.int(u.promptTokens)} in · ${fmt.int(u.completionTokens)} out · ${fmt.ms(e.latencyMillis)} · ${fmt.usd(e.costUsd)}`)),
        m.content ? h('div', { class: 'msg assistant' }, h('span', { class: 'role' }, 'assistant'), h('p', {}, m.content)) : null,
        calls.length ? h('p', { class: 'meta' }, 'asks for ', calls.map(c => h('code', {}, c.name)).reduce((a, c) => a.length ? [...a, ', ', c] : [c], [])) : null);
    }
    case 'model_retried':
      return li('k-warn', `Model call retried (attempt ${e.attempt}${e.fallback ? ', fallback model' : ''}) after ${fmt.ms(e.waitMillis)}`, h('p', { class: 'meta' }, e.error));
    case 'output_rejected':
      return li('k-bad', 'Output rejected by the schema', h('ul', {}, (e.problems || []).map(p => h('li', {}, p))));
    case 'tool_call_started': {
      const call = ctx.args.get(e.callId) || {};
      const result = h('div', { class: 'result pending' }, 'running…');
      const det = h('details', { class: 'toolcall', open: true, 'data-call': e.callId },
        h('summary', {}, h('span', { class: 'tool' }, 'Tool ', h('code', {}, e.tool)),
          e.rule ? h('span', { class: 'rule' }, 'allowed by rule ', h('code', {}, e.rule)) : null,
          h('span', { class: 'dur' })),
        h('div', { class: 'args' }, h('span', { class: 'role' }, 'arguments'), pre(call.arguments ?? '')),
        result);
      ctx.calls.set(e.callId, det);
      return li('k-tool', '', det);
    }
    case 'tool_call_completed':
    case 'tool_call_failed': {
      const det = ctx.calls.get(e.callId);
      const ok = e.type === 'tool_call_completed';
      const body = [h('span', { class: 'role' }, ok ? 'result' : 'error'), pre(ok ? e.result : e.error, ok ? '' : 'bad')];
      if (det) {
        const r = det.querySelector('.result');
        r.className = 'result ' + (ok ? 'ok' : 'bad');
        r.replaceChildren(...body);
        det.querySelector('.dur').textContent = fmt.ms(e.durationMillis);
        det.open = false;
        return null;
      }
      // a read-only call is not journaled as started: its arguments come from the model's request
      const call = ctx.args.get(e.callId) || {};
      return li(ok ? 'k-tool' : 'k-bad', '', h('details', { class: 'toolcall', 'data-call': e.callId, open: !ok },
        h('summary', {}, h('span', { class: 'tool' }, 'Tool ', h('code', {}, call.name || e.callId)),
          h('span', { class: ok ? 'rule' : 'rule bad-text' }, ok ? 'completed' : 'failed'), h('span', { class: 'dur' }, fmt.ms(e.durationMillis))),
        h('div', { class: 'args' }, h('span', { class: 'role' }, 'arguments'), pre(call.arguments ?? '')),
        h('div', { class: 'result ' + (ok ? 'ok' : 'bad') }, ...body)));
    }
    case 'tool_call_rejected': {
      const call = ctx.args.get(e.callId) || {};
      return li('k-bad', h('span', {}, 'Policy rejected ', h('code', {}, call.name || e.callId)), h('p', {}, e.reason),
        call.arguments ? h('details', {}, h('summary', {}, 'arguments'), pre(call.arguments)) : null);
    }
    case 'approval_requested':
      return li('k-wait', h('span', {}, 'Approval requested for ', h('code', {}, e.tool), e.rule ? [' (rule ', h('code', {}, e.rule), ')'] : null),
        h('p', { class: 'meta' }, 'expires ', fmt.time(e.expiresAt), ' · ', h('a', { href: '#/approvals' }, 'open the approvals inbox')));
    case 'approval_decided':
      return li(e.approved ? 'k-ok' : 'k-bad', `${e.approved ? 'Approved' : 'Denied'} by ${e.by}`, e.comment ? h('p', { class: 'comment' }, '“', e.comment, '”') : null);
    case 'tool_call_in_doubt':
      return li('k-wait', h('span', {}, 'In doubt: ', h('code', {}, e.tool), ' started but its outcome is unknown'), h('p', {}, e.reason));
    case 'tool_call_resolved':
      return li('k-ok', `In-doubt call resolved: ${e.decision} by ${e.by}`, e.comment ? h('p', { class: 'comment' }, e.comment) : null, e.result ? pre(e.result) : null);
    case 'run_succeeded':
      return li('k-ok final-state', h('span', {}, 'Final state ', stateBadge('succeeded')), h('div', { class: 'msg assistant' }, h('span', { class: 'role' }, 'output'), pre(e.output)));
    case 'run_failed':
      return li('k-bad final-state', h('span', {}, 'Final state ', stateBadge('failed'), ' ', e.reason), h('p', {}, e.message));
    case 'run_cancelled':
      return li('k-warn final-state', h('span', {}, 'Final state ', stateBadge('cancelled')), h('p', {}, e.reason));
    case 'run_limited':
      return li('k-warn final-state', h('span', {}, 'Final state ', stateBadge('limited'), ' ', e.limit), h('p', {}, e.message));
    case 'run_stuck':
      return li('k-bad final-state', h('span', {}, 'Final state ', stateBadge('stuck'), ' ', e.reason), h('p', {}, e.message));
    case 'run_budget_exhausted':
      return li('k-warn final-state', h('span', {}, 'Final state ', stateBadge('budget_exhausted')),
        h('p', {}, `${e.scope} ${e.owner}: ${e.resource} spent ${e.spent} of ${e.ceiling}`));
    case 'run_interrupted':
      return li('k-warn', 'Interrupted', h('p', {}, e.reason));
    default:
      return li('k-other', e.type || 'event', pre(e));
  }
}
