// The dashboard's screen: a header, the five panes laid out for the terminal's size, and a footer
// with the last message or the keys; `?` shows the help instead of the panes. State in, frame out.
import { Box, Text } from 'ink';
import { createElement as h, type ReactNode } from 'react';
import { fit, wrapWords } from './format.ts';
import { EventsPane, LogsPane, RoutesPane, ServicesPane, TrafficPane } from './panes.ts';
import type { DashboardState } from './state.ts';

export const KEYS: Array<[string, string]> = [
  ['Tab / Shift-Tab', 'next / previous pane (← → too, outside the routes pane)'],
  ['↑ ↓', 'move between rows; scroll events and logs'],
  ['← →', 'routes: shift 5% of the split from / to the selected subset'],
  ['Shift-← →', 'the same by 1% (also with Ctrl or Alt)'],
  ['Enter / Space', 'routes: select the next subset of the route (▸)'],
  ['p', 'promote the selected subset to 100%'],
  ['r', "roll back the route's last change (r again: the one before)"],
  ['f', 'fault: none → delay 1s (50%) → abort 503 (50%) → none'],
  ['e', 'open the route in $EDITOR at its line'],
  ['t', 'start / stop sending traffic to the gateway'],
  ['c', 'pause / resume the canary (p promotes it, r aborts it)'],
  ['w', 'watch code on / off (as mesh up --watch)'],
  ['g', 'the traffic pane shows the service graph (Enter: the versions of the service an edge goes to); g again: traffic'],
  ['v', "the events pane shows the selected service's requests as mesh tap does; v again: the events"],
  ['+ / -', 'traffic generator rate up / down by 10 requests/s'],
  ['?', 'this help'],
  ['q', 'quit'],
];

/** The key bar's entries, in order; `drop` ranks which go first when the terminal is narrow (never ? and q). */
const KEY_BAR: Array<{ text: string; drop?: number }> = [
  { text: 'Tab pane', drop: 2 },
  { text: '↑↓ row', drop: 1 },
  { text: '←→ weight', drop: 7 },
  { text: '⏎ subset', drop: 3 },
  { text: 'p promote', drop: 8 },
  { text: 'r rollback', drop: 9 },
  { text: 'f fault', drop: 6 },
  { text: 'e edit', drop: 4 },
  { text: 't load', drop: 5 },
  { text: '? help' },
  { text: 'q quit' },
];

/** The keys that fit in `width` cells: the least needed dropped first, `? help q quit` always last. */
function keyBar(width: number): string {
  const kept = [...KEY_BAR];
  const line = () => kept.map((k) => k.text).join(' ');
  const order = KEY_BAR.filter((k) => k.drop !== undefined).sort((a, b) => a.drop! - b.drop!);
  for (const entry of order) {
    if (line().length <= width) break;
    kept.splice(kept.indexOf(entry), 1);
  }
  return line();
}

function Header({ state }: { state: DashboardState }): ReactNode {
  const s = state.status;
  const where = state.mesh?.name ?? s?.dir ?? state.dir ?? '';
  const serving = state.connection === 'down' ? 'control plane not answering' : s?.version ? `serving ${s.version}` : 'connecting…';
  const validity = s && !s.valid ? ' · files INVALID (last good serving)' : '';
  const load = state.load.running ? `load ${state.load.rps}/s · ${state.load.requests ?? 0} answered${failures(state.load.byStatus)}` : `load off (${state.load.rps}/s)`;
  const watch = state.codeWatch === undefined ? '' : ` · watch ${state.codeWatch ? 'on' : 'off'}`;
  const text = `localmesh ${where} · ${serving}${validity} · ${load}${watch}`;
  return h(
    Text,
    { bold: true, color: state.connection === 'down' || validity ? 'red' : 'green', wrap: 'truncate' },
    fit(text, state.width),
  );
}

/** `, 12% failed` when some requests of the generator got no 2xx. */
function failures(byStatus: Record<string, number> | undefined): string {
  const all = Object.values(byStatus ?? {}).reduce((a, b) => a + b, 0);
  const failed = Object.entries(byStatus ?? {}).reduce((n, [status, count]) => (status.startsWith('2') ? n : n + count), 0);
  return failed ? `, ${Math.round((100 * failed) / all)}% failed` : '';
}

function Footer({ state }: { state: DashboardState }): ReactNode {
  const invalid = state.status && !state.status.valid ? state.status.diagnostics.find((d) => d.severity === 'error') : undefined;
  const problem = state.problem ?? (invalid && `The files are invalid (last good config serving): ${invalid.file}:${invalid.line}:${invalid.col}: ${invalid.message}`);
  const text = state.message?.text ?? problem ?? keyBar(state.width);
  const error = state.message ? state.message.error : problem !== undefined;
  return h(Text, { wrap: 'truncate', color: error ? 'red' : undefined, dimColor: !state.message && !problem }, fit(text, state.width));
}

function Help({ state, height }: { state: DashboardState; height: number }): ReactNode {
  const column = Math.max(...KEYS.map(([k]) => k.length)) + 2;
  const inner = state.width - 2;
  // Each description wrapped at words beside its key, continued under the description.
  const lines = KEYS.flatMap(([key, what]) =>
    wrapWords(what, inner - column).map((text, i) => ({ key: `${key} ${i}`, text: `${fit(i === 0 ? key : '', column)}${text}` })),
  );
  return h(
    Box,
    { flexDirection: 'column', width: state.width, height, borderStyle: 'double', borderColor: 'cyan', overflow: 'hidden' },
    h(Text, { bold: true, wrap: 'truncate' }, fit('Keys (press ? or Esc to close)', inner)),
    ...lines.map((line) => h(Text, { key: line.key, wrap: 'truncate' }, line.text)),
  );
}

/** Heights and widths of the panes for a terminal of `width` × `height`. */
export function layout(width: number, height: number) {
  const body = Math.max(12, height - 2);
  const logs = Math.max(4, Math.floor(body * 0.22));
  const top = Math.floor((body - logs) / 2);
  const middle = body - logs - top;
  const left = Math.max(30, Math.floor(width * 0.45));
  return { body, logs, top, middle, left, right: Math.max(20, width - left) };
}

export function Dashboard({ state }: { state: DashboardState }): ReactNode {
  const { body, logs, top, middle, left, right } = layout(state.width, state.height);
  const panes = state.help
    ? h(Help, { state, height: body })
    : h(
        Box,
        { flexDirection: 'column', height: body },
        h(Box, { height: top }, h(ServicesPane, { state, width: left, height: top }), h(TrafficPane, { state, width: right, height: top })),
        h(Box, { height: middle }, h(RoutesPane, { state, width: left, height: middle }), h(EventsPane, { state, width: right, height: middle })),
        h(LogsPane, { state, width: state.width, height: logs }),
      );
  return h(Box, { flexDirection: 'column', width: state.width, height: state.height }, h(Header, { state }), panes, h(Footer, { state }));
}
