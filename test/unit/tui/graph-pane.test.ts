// The service graph in the dashboard's traffic pane: g switches it, one line per edge from the
// gateway down at 80×24, Enter shows the versions of the service an edge goes to (and back).
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { buildGraph, type GraphCall } from '../../../src/control/graph.ts';
import { Dashboard } from '../../../src/tui/dashboard.ts';
import { keyToAction, reduce, type DashboardState } from '../../../src/tui/state.ts';
import { graphRows } from '../../../src/tui/view.ts';
import { canaryState } from './fixtures.ts';

process.env.TZ = 'UTC';
const mounted: Array<{ unmount(): void }> = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));

const frame = (state: DashboardState) => {
  const app = render(h(Dashboard, { state }));
  mounted.push(app);
  return app.lastFrame()!.split('\n');
};

const calls = (n: number, c: Partial<GraphCall>): GraphCall[] =>
  Array.from({ length: n }, (_, i) => ({ at: 1000 + i, fromService: 'mesh-gateway', fromVersion: '', toService: 'reviews', toSubset: 'v1', status: 200, durationMs: 2 + (i % 10), requestId: '', ...c }));

const CALLS = [
  ...calls(90, {}),
  ...calls(10, { toSubset: 'v2', status: 200 }),
  ...calls(8, { toSubset: 'v2', status: 503 }).slice(0, 2),
  ...calls(90, { fromService: 'reviews', fromVersion: 'v1', toService: 'ratings', toSubset: '' }),
];

/** The graph as GET /graph answers it for what the dashboard expanded. */
const graphOf = (state: DashboardState) => buildGraph(CALLS, { now: 10_000, windowMs: 10_000, expand: new Set(state.expanded) });

async function graphState(): Promise<DashboardState> {
  let state = await canaryState();
  state = reduce(state, keyToAction(state, 'g', {})!);
  state = reduce({ ...state, focus: 'traffic' }, { type: 'graph', graph: graphOf(state) });
  return state;
}

describe('the graph pane', () => {
  it('g switches the traffic pane to the graph and back', async () => {
    const state = await graphState();
    expect(state.trafficView).toBe('graph');
    expect(reduce(state, keyToAction(state, 'g', {})!).trafficView).toBe('traffic');
  });

  it('draws one line per edge at 80×24, services added up until expanded', async () => {
    const lines = frame(await graphState());
    expect(lines).toHaveLength(24);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(text).toContain('Graph (last 10 s) ⏎ versions, g: traffic');
    expect(text).toMatch(/║gateway → reviews +10\.2 +2% +11ms║/);
    expect(text).toMatch(/║ reviews → ratings +9\.0 +0% +11ms║/);
  });

  it('Enter on an edge shows the versions of the service it goes to; Enter again adds them up', async () => {
    let state = await graphState();
    const enter = keyToAction(state, '', { return: true })!;
    expect(enter).toEqual({ type: 'expand' });
    state = reduce(state, enter);
    expect(state.expanded).toEqual(['reviews']);
    state = reduce(state, { type: 'graph', graph: graphOf(state) });
    expect(graphRows(state).map((r) => r.text)).toEqual(['gateway → reviews/v1', ' reviews/v1 → ratings', 'gateway → reviews/v2']);
    const text = frame(state).join('\n');
    expect(text).toMatch(/║gateway → reviews\/v2 +1\.2 +17% +11ms║/);
    state = reduce(state, enter);
    expect(state.expanded).toEqual([]);
  });

  it('moves between edges with ↑ ↓ and says when there are no calls', async () => {
    let state = await graphState();
    state = reduce(state, { type: 'move', delta: 5 });
    expect(state.selected.traffic).toBe(1);
    const empty = reduce(state, { type: 'graph', graph: buildGraph([], { now: 0, windowMs: 10_000 }) });
    expect(frame(empty).join('\n')).toContain('No calls yet: press t to send some.');
  });
});
