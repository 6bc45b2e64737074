// The dashboard's panes: each draws its part of the state in a bordered box of a given size.
// Components render state only: no I/O, no timers (the effects feed the state).
import { Box, Text } from 'ink';
import { createElement as h, type ReactNode } from 'react';
import { bar, fit, ms, percent, rate, sparkline } from './format.ts';
import type { DashboardState, Pane } from './state.ts';
import { eventLine, graphRows, requestLine, requestRows, routeRows, selectedService, serviceRows, trafficRows, type ServiceRow } from './view.ts';
import type { Health } from '../control/graph.ts';

export interface PaneProps {
  state: DashboardState;
  width: number;
  height: number;
}

/** A line of a pane: its text (already fitted), and how to show it. */
interface Line {
  text: string;
  selected?: boolean;
  color?: string;
  dim?: boolean;
  bold?: boolean;
}

/** The first index of a `size`-long window over `count` items that shows item `at`. */
export function windowStart(count: number, at: number, size: number): number {
  if (count <= size) return 0;
  return Math.max(0, Math.min(at - Math.floor(size / 2), count - size));
}

function Frame(props: { pane: Pane; title: string; state: DashboardState; width: number; height: number; lines: Line[] }): ReactNode {
  const focused = props.state.focus === props.pane;
  const inner = props.width - 2;
  const rows = props.lines.slice(0, Math.max(0, props.height - 3));
  return h(
    Box,
    {
      flexDirection: 'column',
      width: props.width,
      height: props.height,
      borderStyle: focused ? 'double' : 'single',
      borderColor: focused ? 'cyan' : 'gray',
      overflow: 'hidden',
    },
    h(Text, { bold: true, color: focused ? 'cyan' : undefined, wrap: 'truncate' }, fit(props.title, inner)),
    ...rows.map((line, i) =>
      h(
        Text,
        { key: i, wrap: 'truncate', inverse: line.selected && focused, bold: line.bold || (line.selected && !focused), color: line.color, dimColor: line.dim },
        fit(line.text, inner),
      ),
    ),
  );
}

const SYNC_COLOR: Record<ServiceRow['sync'], string> = { SYNCED: 'green', 'NOT USED': 'green', 'NOT SENT': 'yellow', STALE: 'yellow', NACK: 'red', 'NOT CONNECTED': 'red' };

export function ServicesPane({ state, width, height }: PaneProps): ReactNode {
  const rows = serviceRows(state);
  const inner = width - 2;
  const name = Math.min(18, Math.max(8, ...rows.map((r) => r.id.length)));
  const size = height - 3;
  const start = windowStart(rows.length, state.selected.services, size);
  const lines: Line[] = rows.slice(start, start + size).map((r, i) => ({
    text: fit(`${fit(r.id, name)} ${fit(r.process ?? '-', 11)} ${r.sync}${r.mtls && r.mtls !== 'DISABLE' ? ` mTLS ${r.mtls.toLowerCase()}` : ''}${r.nack ? `: ${r.nack}` : ''}`, inner),
    selected: start + i === state.selected.services,
    color: r.process === 'exited' || r.process === 'unreachable' ? 'red' : SYNC_COLOR[r.sync] === 'green' ? undefined : SYNC_COLOR[r.sync],
  }));
  if (rows.length === 0) lines.push({ text: 'No services yet.', dim: true });
  return h(Frame, { pane: 'services', title: `Services ${fit('', Math.max(0, name - 8))} process     sync`, state, width, height, lines });
}

export function RoutesPane({ state, width, height }: PaneProps): ReactNode {
  const inner = width - 2;
  const lines: Array<Line & { route: number }> = [];
  routeRows(state).forEach((row, r) => {
    const selected = r === state.selected.routes;
    lines.push({ route: r, text: fit(`${row.route.name}: ${row.route.match}`, inner), selected, bold: true });
    if (row.route.faultText) lines.push({ route: r, text: fit(`  ${row.route.faultText}`, inner), color: 'yellow' });
    if (row.canary) lines.push({ route: r, text: fit(`  ${row.canary}`, inner), color: 'magenta' });
    const label = Math.max(2, ...row.route.destinations.map((d) => d.label.length));
    const barWidth = Math.max(4, inner - label - 18);
    row.route.destinations.forEach((d, i) => {
      const mark = selected && i === row.subset ? '▸' : ' ';
      const weight = `${String(row.weights[i]).padStart(3)}%${row.pending ? '*' : ' '}`;
      lines.push({
        route: r,
        text: fit(`${mark}${fit(d.label, label)} ${bar(row.weights[i]!, barWidth)} ${weight} got ${percent(row.observed[i]!).padStart(4)}`, inner),
        ...(selected && i === row.subset ? { color: 'cyan' } : {}),
      });
    });
  });
  if (lines.length === 0) lines.push({ route: -1, text: state.mesh ? 'No VirtualService has HTTP rules.' : 'Reading the mesh files…', dim: true });
  const size = height - 3;
  const first = lines.findIndex((l) => l.route === state.selected.routes);
  const last = lines.findLastIndex((l) => l.route === state.selected.routes);
  const start = last - first + 1 >= size ? first : windowStart(lines.length, Math.floor((first + last) / 2), size);
  return h(Frame, { pane: 'routes', title: 'Routes  weight  got = share observed', state, width, height, lines: lines.slice(Math.max(0, start)) });
}

export function TrafficPane({ state, width, height }: PaneProps): ReactNode {
  if (state.trafficView === 'graph') return GraphPane({ state, width, height });
  const rows = trafficRows(state);
  const inner = width - 2;
  const fixed = 10 + 6 + 6 + 7 + 7;
  const spark = Math.max(0, inner - fixed - 1);
  const cells = (cols: string[]) => `${fit(cols[0]!, 10)}${cols[1]!.padStart(6)}${cols[2]!.padStart(6)}${cols[3]!.padStart(7)}${cols[4]!.padStart(7)}`;
  const size = height - 4;
  const start = windowStart(rows.length, state.selected.traffic, size);
  const lines: Line[] = [{ text: cells(['', 'rps', 'err', 'p50', 'p99']) + (spark > 0 ? ` ${fit('recent rps', spark)}` : ''), dim: true }];
  for (const [i, r] of rows.slice(start, start + size).entries()) {
    lines.push({
      text: fit(cells([r.subset ? `  ${r.subset}` : r.service, rate(r.rps), percent(r.errorRate), ms(r.p50Ms), ms(r.p99Ms)]) + (spark > 0 ? ` ${sparkline(r.history, spark)}` : ''), inner),
      selected: start + i === state.selected.traffic,
      bold: r.subset === '',
      ...(r.errorRate ? { color: 'red' } : {}),
    });
  }
  if (rows.length === 0) lines.push({ text: state.traffic ? 'No requests yet: press t to send some.' : 'Waiting for /traffic…', dim: true });
  return h(Frame, { pane: 'traffic', title: `Traffic (last ${Math.round((state.traffic?.windowMs ?? 0) / 1000)} s)`, state, width, height, lines });
}

const HEALTH_COLOR: Record<Health, string> = { ok: 'green', warn: 'yellow', bad: 'red' };

/** The service graph in the traffic pane (g): one line per edge, from the gateway down, coloured by its error rate. */
function GraphPane({ state, width, height }: PaneProps): ReactNode {
  const rows = graphRows(state);
  const inner = width - 2;
  const name = Math.max(8, inner - 18);
  const cells = (cols: string[]) => `${fit(cols[0]!, name)}${cols[1]!.padStart(6)}${cols[2]!.padStart(5)}${cols[3]!.padStart(7)}`;
  const size = height - 4;
  const start = windowStart(rows.length, state.selected.traffic, size);
  const lines: Line[] = [{ text: cells(['', 'rps', 'err', 'p99']), dim: true }];
  for (const [i, { edge, text }] of rows.slice(start, start + size).entries()) {
    lines.push({
      text: fit(cells([text, rate(edge.rps), percent(edge.errorRate), ms(edge.p99Ms)]), inner),
      selected: start + i === state.selected.traffic,
      color: HEALTH_COLOR[edge.health],
    });
  }
  if (rows.length === 0) lines.push({ text: state.graph ? 'No calls yet: press t to send some.' : 'Waiting for /graph…', dim: true });
  const seconds = Math.round((state.graph?.windowMs ?? 0) / 1000);
  return h(Frame, { pane: 'traffic', title: `Graph (last ${seconds} s) ⏎ versions, g: traffic`, state, width, height, lines });
}

/** The newest lines that fit, scrolled back `back` lines. */
function tail<T>(items: readonly T[], size: number, back: number): T[] {
  const end = Math.max(0, items.length - back);
  return items.slice(Math.max(0, end - size), end);
}

export function EventsPane({ state, width, height }: PaneProps): ReactNode {
  if (state.eventsView === 'requests') return RequestsPane({ state, width, height });
  const inner = width - 2;
  const lines: Line[] = tail(state.events, height - 3, state.selected.events).map((e) => {
    const line = eventLine(e);
    return { text: fit(`${line.time} ${line.text}`, inner), ...(line.error ? { color: 'red' } : {}) };
  });
  if (lines.length === 0) lines.push({ text: 'No events yet: save a mesh file.', dim: true });
  const back = state.selected.events ? ` (${state.selected.events} back)` : '';
  return h(Frame, { pane: 'events', title: `Events${back}`, state, width, height, lines });
}

/** The selected service's requests as the tap streams them (v switches back to the events). */
function RequestsPane({ state, width, height }: PaneProps): ReactNode {
  const inner = width - 2;
  const row = selectedService(state);
  const lines: Line[] = tail(requestRows(state), height - 3, state.selected.events).map((e) => {
    const line = requestLine(e);
    return { text: fit(`${line.time} ${line.text}`, inner), ...(line.error ? { color: 'red' } : {}) };
  });
  if (lines.length === 0) lines.push({ text: `No requests${row ? ` of ${row.id}` : ''} yet: send some (t).`, dim: true });
  const back = state.selected.events ? ` (${state.selected.events} back)` : '';
  return h(Frame, { pane: 'events', title: `Requests${row ? `: ${row.id}` : ''}${back} (v: events)`, state, width, height, lines });
}

export function LogsPane({ state, width, height }: PaneProps): ReactNode {
  const inner = width - 2;
  const lines: Line[] = tail(state.logs.lines, height - 3, state.selected.logs).map((l) => ({ text: fit(l, inner) }));
  if (lines.length === 0) {
    lines.push({ text: state.logs.name ? `No log lines for ${state.logs.name}.` : 'Select a service to see its log (process runtime).', dim: true });
  }
  const row = selectedService(state);
  const who = row?.identity && row.id === state.logs.name ? ` · ${row.identity} · ${row.mtls && row.mtls !== 'DISABLE' ? `mTLS ${row.mtls}` : 'plain text'}` : '';
  return h(Frame, { pane: 'logs', title: `Logs${state.logs.name ? `: ${state.logs.name}` : ''}${who}`, state, width, height, lines });
}
