// The web view: reads the control plane's API (the page's own origin) and writes weights through
// POST /routes/KEY/weights with this run's token (from ?token=, kept for the tab, then dropped
// from the address bar as Jupyter does). Plain ES module, no build step, nothing from elsewhere.
import { rebalance } from './split.js';

const TOKEN_KEY = 'localmesh-token';
const params = new URLSearchParams(location.search);
if (params.has('token')) {
  sessionStorage.setItem(TOKEN_KEY, params.get('token'));
  params.delete('token');
  history.replaceState(null, '', location.pathname + (params.size ? `?${params}` : ''));
}
const token = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

const $ = (id) => document.getElementById(id);
const COLOURS = ['#3b6fd4', '#e08a1e', '#2e8b57', '#8e44ad', '#c0392b'];
const HISTORY = 120;

/** An element with text and attributes; children appended. */
function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function say(text, error = false) {
  $('message').textContent = text;
  $('message').className = error ? 'error' : '';
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(body.error ?? `${path}: HTTP ${response.status}`);
  return body;
}

// ---- state ----
let mesh;
let traffic;
/** Weights being written, by route key: shown instead of the file's until the file has them. */
const pending = new Map();
/** rps samples per subset cluster, oldest first. */
const series = new Map();

// ---- routes ----
const subsetKey = (d) => `${d.host}|${d.subset}`;

function observed(route) {
  const rps = route.destinations.map((d) => traffic?.subsets.find((s) => subsetKey(s) === subsetKey(d))?.rps ?? 0);
  const total = rps.reduce((a, b) => a + b, 0);
  return total > 0 ? rps.map((r) => Math.round((100 * r) / total)) : undefined;
}

function bar(weights, labels, className) {
  return el('div', { class: className }, ...weights.map((w, i) => {
    const span = el('span', { class: `c${i % 5}`, text: w >= 8 && className.includes('configured') ? `${labels[i]} ${w}%` : '' });
    span.style.width = `${w}%`;
    return span;
  }));
}

function weightsOf(route) {
  const wanted = pending.get(route.key);
  return wanted ? route.destinations.map((d) => wanted[d.label] ?? 0) : route.destinations.map((d) => d.weight);
}

function renderRoutes() {
  const box = $('routes');
  // Never redraw under a slider being dragged; a focused slider keeps the focus.
  if (dragging) return;
  const active = document.activeElement;
  const focused = active?.matches?.('input[type=range]') ? `${active.dataset.route} ${active.dataset.label}` : undefined;
  box.replaceChildren(...(mesh?.routes ?? []).map((route) => {
    const labels = route.destinations.map((d) => d.label);
    const weights = weightsOf(route);
    const split = observed(route);
    const row = el('div', { class: 'route', 'data-route': route.key },
      el('div', { class: 'name', text: route.name }),
      el('div', { class: 'match', text: `${route.match}${route.faultText ? ` · fault: ${route.faultText}` : ''} · ${route.file.split('/').pop()}:${route.line}` }),
      bar(weights, labels, 'bar configured'),
      el('div', { class: 'weights' }, ...labels.map((label, i) => el('span', { class: 'weight', 'data-label': label, text: `${label} ${weights[i]}%` })),
        el('span', { class: 'hint observed-text', text: split ? `observed ${labels.map((l, i) => `${l} ${split[i]}%`).join(' / ')}` : 'no traffic observed' })),
    );
    if (split) row.append(bar(split, labels, 'bar observed'));
    if (labels.length === 2) row.append(slider(route, labels, weights, 0));
    else if (labels.length > 2) row.append(...labels.map((_, j) => slider(route, labels, weights, j)));
    return row;
  }));
  if (focused) [...box.querySelectorAll('input[type=range]')].find((i) => `${i.dataset.route} ${i.dataset.label}` === focused)?.focus();
}

/** A slider moved and not yet let go. */
let dragging = false;

/**
 * Destination j's weight (two destinations: one slider, the first's; more: one each). The others
 * share the rest as they shared it when the drag began.
 */
function slider(route, labels, weights, j) {
  const input = el('input', { type: 'range', min: '0', max: '100', step: '1', value: String(weights[j]), 'data-route': route.key, 'data-label': labels[j], 'aria-label': `${labels[j]} weight of ${route.name}` });
  const split = () => rebalance(weights, j, Number(input.value));
  input.addEventListener('input', () => {
    dragging = true;
    const row = input.closest('.route');
    const w = split();
    row.querySelectorAll('.weight').forEach((span, i) => (span.textContent = `${labels[i]} ${w[i]}%`));
    row.querySelectorAll('input[type=range]').forEach((other, i) => other !== input && (other.value = String(w[labels.length === 2 ? 0 : i])));
    row.querySelector('.bar.configured').replaceWith(bar(w, labels, 'bar configured'));
  });
  // Let go without a change (back where it was): no change event, so stop holding the redraws here.
  for (const type of ['pointerup', 'blur']) input.addEventListener(type, () => (dragging = false));
  input.addEventListener('change', () => {
    dragging = false;
    const w = split();
    void writeWeights(route, Object.fromEntries(labels.map((label, i) => [label, w[i]])));
  });
  return input;
}

/** Writes run one after another, so the file ends with the last one asked. */
let writes = Promise.resolve();
function writeWeights(route, weights) {
  pending.set(route.key, weights);
  writes = writes.then(() => postWeights(route, weights));
  return writes;
}

async function postWeights(route, weights) {
  try {
    const response = await fetch(`/routes/${encodeURIComponent(route.key)}/weights`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mesh-token': token() },
      body: JSON.stringify({ weights }),
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
    say(body.summary);
    await refreshMesh();
  } catch (error) {
    say(`Not written: ${error.message}`, true);
  } finally {
    if (pending.get(route.key) === weights) pending.delete(route.key);
    renderRoutes();
  }
}

// ---- traffic ----
function renderTraffic() {
  const subsets = (traffic?.subsets ?? []).filter((s) => s.subset);
  for (const s of subsets) if (!series.has(s.cluster)) series.set(s.cluster, []);
  for (const [cluster, list] of series) {
    list.push(subsets.find((s) => s.cluster === cluster)?.rps ?? 0);
    if (list.length > HISTORY) list.shift();
  }
  const max = Math.max(1, ...[...series.values()].flat());
  const svg = $('chart');
  const NS = 'http://www.w3.org/2000/svg';
  svg.replaceChildren(...[...series.entries()].map(([cluster, list], i) => {
    const line = document.createElementNS(NS, 'polyline');
    const x0 = HISTORY - list.length;
    line.setAttribute('points', list.map((v, j) => `${((x0 + j) * 600) / (HISTORY - 1)},${160 - (v / max) * 150}`).join(' '));
    line.setAttribute('stroke', COLOURS[i % COLOURS.length]);
    line.setAttribute('data-cluster', cluster);
    return line;
  }));
  const pct = (v) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  const ms = (v) => (v === null ? '–' : `${Math.round(v)} ms`);
  $('subsets').tBodies[0].replaceChildren(...subsets.map((s) => {
    const colour = [...series.keys()].indexOf(s.cluster);
    const name = el('td', { text: `● ${s.host.split('.')[0]}/${s.subset}` });
    name.style.color = COLOURS[colour % COLOURS.length];
    return el('tr', { 'data-cluster': s.cluster }, name, el('td', { class: 'rps', text: s.rps.toFixed(1) }),
      el('td', { class: s.successRate !== null && s.successRate < 0.99 ? 'bad' : '', text: pct(s.successRate) }), el('td', { text: ms(s.p50Ms) }), el('td', { text: ms(s.p99Ms) }));
  }));
}

// ---- the service graph (GET /graph, when the control plane has it: asked again only then) ----
let hasGraph = true;
async function refreshGraph() {
  if (!hasGraph) return;
  const response = await fetch('/graph', { cache: 'no-store' }).catch(() => undefined);
  if (response?.status === 404) hasGraph = false;
  if (!response?.ok) return;
  const graph = await response.json();
  $('graph-pane').hidden = false;
  const edges = graph.edges ?? [];
  drawGraph(edges);
  const pct = (v) => (v === undefined || v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  $('graph').tBodies[0].replaceChildren(...edges.map((e) => el('tr', { class: e.health ?? '' },
    el('td', { text: e.from }), el('td', { text: e.to }), el('td', { text: Number(e.rps ?? 0).toFixed(1) }),
    el('td', { text: pct(e.errorRate) }), el('td', { text: e.p99Ms === undefined || e.p99Ms === null ? '–' : `${Math.round(e.p99Ms)} ms` }))));
}

/** Nodes in columns by their distance from the callers nobody calls; an edge a line labelled with its rps. */
function drawGraph(edges) {
  const NS = 'http://www.w3.org/2000/svg';
  const svgEl = (tag, attrs, text) => {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const names = [...new Set(edges.flatMap((e) => [e.from, e.to]))].sort();
  const depth = new Map(names.filter((n) => !edges.some((e) => e.to === n)).map((n) => [n, 0]));
  if (depth.size === 0 && names[0]) depth.set(names[0], 0);
  for (let changed = true, rounds = 0; changed && rounds < names.length; rounds++) {
    changed = false;
    for (const e of edges) {
      const d = depth.get(e.from);
      if (d !== undefined && !depth.has(e.to)) (depth.set(e.to, d + 1), (changed = true));
    }
  }
  for (const n of names) if (!depth.has(n)) depth.set(n, 0);
  const columns = Math.max(1, ...depth.values()) + 1;
  const rows = new Map();
  const at = new Map(names.map((n) => {
    const d = depth.get(n);
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    return [n, { x: 70 + (d * 460) / Math.max(1, columns - 1), y: 30 + row * 50 }];
  }));
  const height = 60 + 50 * Math.max(0, ...rows.values());
  const svg = $('graph-svg');
  svg.setAttribute('viewBox', `0 0 600 ${height}`);
  svg.replaceChildren(
    ...edges.map((e) => {
      const a = at.get(e.from), b = at.get(e.to);
      const g = svgEl('g', { class: `edge ${e.health ?? ''}`, 'data-edge': `${e.from} ${e.to}` });
      g.append(svgEl('line', { x1: a.x, y1: a.y, x2: b.x, y2: b.y }),
        svgEl('text', { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 - 4, 'text-anchor': 'middle' }, `${Number(e.rps ?? 0).toFixed(1)}/s`));
      return g;
    }),
    ...names.map((n) => {
      const { x, y } = at.get(n);
      const g = svgEl('g', { class: 'node', 'data-node': n });
      g.append(svgEl('circle', { cx: x, cy: y, r: 6 }), svgEl('text', { x, y: y + 18, 'text-anchor': 'middle' }, n));
      return g;
    }),
  );
}

// ---- traces (GET /traces, when the control plane has them: asked again only then) ----
let hasTraces = true;
let openTrace;
async function refreshTraces() {
  if (!hasTraces) return;
  const response = await fetch('/traces?limit=20', { cache: 'no-store' }).catch(() => undefined);
  if (response?.status === 404) hasTraces = false;
  if (!response?.ok) return;
  const traces = await response.json();
  $('traces-pane').hidden = false;
  $('traces').tBodies[0].replaceChildren(...traces.map((t) => {
    const row = el('tr', { class: `trace${t.errors ? ' bad' : ''}`, 'data-trace': t.traceId },
      el('td', { text: new Date(t.startMs).toLocaleTimeString() }), el('td', { text: t.root }),
      el('td', { text: t.services.join(' → ') }), el('td', { text: `${Math.round(t.durationMs * 10) / 10} ms` }),
      el('td', { text: `${t.spans}${t.errors ? ` (${t.errors} failed)` : ''}` }));
    row.addEventListener('click', () => void showTrace(t.traceId));
    return row;
  }));
}

/** A trace's spans as a waterfall: each a bar from its start to its end, over the trace's time. */
async function showTrace(id) {
  openTrace = id;
  const spans = await getJson(`/traces/${encodeURIComponent(id)}`).catch((error) => (say(error.message, true), undefined));
  if (!spans || openTrace !== id) return;
  const start = Math.min(...spans.map((s) => s.startMs));
  const total = Math.max(1e-3, Math.max(...spans.map((s) => s.endMs)) - start);
  $('waterfall').replaceChildren(el('h3', { text: `trace ${id}` }), ...spans.map((s) => {
    const bar = el('span', { class: `span-bar${s.status === 2 ? ' bad' : ''}` });
    bar.style.marginLeft = `${((s.startMs - start) / total) * 100}%`;
    bar.style.width = `${Math.max(0.5, ((s.endMs - s.startMs) / total) * 100)}%`;
    return el('div', { class: 'span' }, el('span', { class: 'span-name', text: `${s.service ?? s.proxy} ${s.name} ${Math.round((s.endMs - s.startMs) * 10) / 10} ms` }), el('div', { class: 'span-track' }, bar));
  }));
}

// ---- services ----
function renderServices() {
  $('services').replaceChildren(...(mesh?.services ?? []).map((s) =>
    el('li', { 'data-service': s.name }, el('strong', { text: s.name }), ` ${s.versions.join(', ')}`,
      el('span', { class: 'hint', text: ` ${Object.values(s.security).map((v) => v.mtls ?? 'plain text')[0] ?? ''}` }))));
}

// ---- the tap ----
const TAP_ROWS = 50;
function startTap() {
  const source = new EventSource('/tap');
  const body = $('tap').tBodies[0];
  source.onmessage = (message) => {
    const e = JSON.parse(message.data);
    const [, , subset, host] = e.upstreamCluster.split('|');
    // outbound|PORT|SUBSET|HOST → host/subset; inbound|PORT|| → the app beside the sidecar.
    const to = host ? `${host.split('.')[0]}${subset ? `/${subset}` : ''}` : e.upstreamCluster.startsWith('inbound|') ? 'app' : e.upstreamCluster;
    body.prepend(el('tr', {}, el('td', { text: new Date(e.at).toLocaleTimeString() }), el('td', { text: e.proxy }),
      el('td', { text: `${e.method} ${e.authority}${e.path}` }),
      el('td', { class: e.status >= 500 || e.status === 0 ? 'bad' : '', text: `${e.status}${e.flags.length ? ` ${e.flags.join(',')}` : ''}` }),
      el('td', { text: String(e.durationMs) }), el('td', { text: to })));
    while (body.rows.length > TAP_ROWS) body.deleteRow(-1);
  };
  source.addEventListener('dropped', (message) => {
    $('tap-dropped').textContent = Number(message.data) ? `(${message.data} not kept)` : '';
  });
}

// ---- polling ----
async function refreshMesh() {
  const body = await getJson('/ui/mesh');
  if (body.problem) say(body.problem, true);
  else {
    mesh = body.mesh;
    $('mesh-name').textContent = mesh.name;
  }
  renderRoutes();
  renderServices();
}

async function poll() {
  try {
    const [status, report] = await Promise.all([getJson('/status'), getJson('/traffic?window=3000')]);
    traffic = report;
    $('status').textContent = `config ${status.version ?? '–'} · ${status.valid ? 'valid' : 'invalid: serving the last good config'}`;
    $('status').className = `status ${status.valid ? 'ok' : 'bad'}`;
    renderTraffic();
    renderRoutes();
  } catch (error) {
    $('status').textContent = `the control plane does not answer (${error.message})`;
    $('status').className = 'status bad';
  }
}

const every = (ms, fn) => {
  const run = () => fn().catch(() => undefined).finally(() => setTimeout(run, ms));
  run();
};
every(2000, refreshMesh);
every(1000, poll);
every(5000, refreshGraph);
every(3000, refreshTraces);
startTap();
