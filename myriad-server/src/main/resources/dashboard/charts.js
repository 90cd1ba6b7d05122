// Charts drawn by hand in SVG: a stacked bar of runs by state, a small live line chart, a gauge.
import { h, STATES, stateClass } from './api.js';

/** A horizontal bar split by run state, with a legend; total is the task count when known. */
export function stackedBar(runs, total) {
  const entries = Object.entries(runs || {}).sort((a, b) => order(a[0]) - order(b[0]));
  const counted = entries.reduce((s, [, n]) => s + n, 0);
  const whole = Math.max(total || 0, counted, 1);
  const bar = h('div', { class: 'stack', role: 'img', 'aria-label': entries.map(([s, n]) => `${n} ${s}`).join(', ') || 'no runs yet' });
  for (const [state, n] of entries) {
    bar.append(h('span', { class: 'seg ' + stateClass(state), style: `width:${(100 * n / whole).toFixed(2)}%`, title: `${state}: ${n}` }));
  }
  const legend = h('div', { class: 'legend' }, entries.map(([state, n]) =>
    h('span', { class: 'key', 'data-state': state }, h('i', { class: 'dot ' + stateClass(state) }), state.replace(/_/g, ' '), ' ',
      h('b', { class: 'n' }, n.toLocaleString('en-US')))));
  return h('div', { class: 'stacked' }, bar, legend);
}

function order(state) {
  const i = STATES.indexOf(state);
  return i < 0 ? STATES.length : i;
}

/**
 * A small line chart of the last values (oldest first), with the latest value and the maximum
 * written beside it. format turns a value into text.
 */
export function sparkline(values, { label, format = v => String(v), width = 220, height = 44 } = {}) {
  const max = Math.max(...values, 0);
  const n = values.length;
  const x = i => n <= 1 ? width : (i * width) / (n - 1);
  const y = v => height - 2 - (max === 0 ? 0 : ((height - 4) * v) / max);
  const pts = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const svg = h('svg:svg', { viewBox: `0 0 ${width} ${height}`, width, height, class: 'spark', role: 'img',
    'aria-label': `${label}: latest ${format(values[n - 1] ?? 0)}, peak ${format(max)}` });
  if (n > 1) {
    svg.append(h('svg:polygon', { points: `0,${height} ${pts} ${width},${height}`, class: 'area' }));
    svg.append(h('svg:polyline', { points: pts, class: 'line' }));
  }
  return h('figure', { class: 'chart' },
    h('figcaption', {}, h('span', {}, label), h('b', {}, format(values[n - 1] ?? 0)), h('small', {}, 'peak ' + format(max))),
    svg);
}

/** A bar gauge of spent against a ceiling; warnAt (0..1) colours it amber, the ceiling red. */
export function gauge(label, spent, ceiling, text, warnAt = 0.8) {
  const f = ceiling ? Math.min(1, spent / ceiling) : 0;
  const cls = f >= 1 ? 'over' : f >= warnAt ? 'warn' : 'ok';
  return h('div', { class: 'gauge ' + cls },
    h('div', { class: 'glabel' }, h('span', {}, label), h('span', {}, text)),
    h('div', { class: 'gtrack', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': ceiling || 0, 'aria-valuenow': spent },
      h('div', { class: 'gfill', style: `width:${(100 * f).toFixed(1)}%` })));
}
