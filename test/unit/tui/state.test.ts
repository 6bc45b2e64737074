// The dashboard's reducer and key map: reports in, view state out; keys in, actions out.
import { describe, expect, it } from 'vitest';
import { initialState, keyToAction, reduce, shiftWeights, type Action, type DashboardState } from '../../../src/tui/state.ts';
import { eventLine, routeRows, serviceRows, trafficRows } from '../../../src/tui/view.ts';
import { proxySync } from '../../../src/xds/sync.ts';
import { canaryState, canaryView, EVENTS, proxy, subset, traffic } from './fixtures.ts';

const KEY = 'default/reviews#0';
const run = (state: DashboardState, ...actions: Action[]) => actions.reduce(reduce, state);
const right = { type: 'shift', delta: 5 } as const;

describe('shiftWeights', () => {
  it('moves points to the selected destination from the largest other, and back, keeping the total', () => {
    expect(shiftWeights([90, 10], 1, 5)).toEqual([85, 15]);
    expect(shiftWeights([90, 10], 1, -5)).toEqual([95, 5]);
    expect(shiftWeights([2, 98], 1, 5)).toEqual([0, 100]);
    expect(shiftWeights([100, 0], 1, -5)).toEqual([100, 0]);
    expect(shiftWeights([50, 30, 20], 2, 40)).toEqual([10, 30, 60]);
    expect(shiftWeights([50, 30, 20], 0, -10)).toEqual([40, 40, 20]);
    expect(shiftWeights([100], 0, 5)).toEqual([100]);
  });
});

describe('reduce', () => {
  it('derives the panes from the reports: sync and process state, weights next to the observed split, traffic with history', async () => {
    const state = await canaryState();
    expect(serviceRows(state).map((r) => `${r.id} ${r.process} ${r.sync}`)).toEqual([
      'reviews-v1 running SYNCED', 'reviews-v2 running SYNCED', 'mesh-gateway running SYNCED',
    ]);
    const [route] = routeRows(state);
    expect(route!.weights).toEqual([90, 10]);
    expect(route!.observed.map((o) => Math.round(o! * 100))).toEqual([89, 11]);
    expect(route!.subset).toBe(1); // the canary, last
    const rows = trafficRows(state);
    expect(rows.map((r) => `${r.service}/${r.subset} ${r.rps.toFixed(1)} ${r.history.map((h) => h.toFixed(1)).join(',')}`)).toEqual([
      'reviews/ 30.0 10.0,20.0,30.0', 'reviews/v1 26.7 8.9,17.8,26.7', 'reviews/v2 3.3 1.1,2.2,3.3',
    ]);
  });

  it('reports the worst xDS state of a proxy, its NACK message, and proxies not connected', async () => {
    const state = await canaryState([{ type: 'proxies', proxies: [proxy('reviews-v1', 'NACK'), proxy('reviews-v2', 'STALE'), proxy('mesh-gateway', 'SYNCED', false)] }]);
    expect(serviceRows(state).map((r) => `${r.id} ${r.sync} ${r.nack ?? ''}`.trim())).toEqual([
      'reviews-v1 NACK route: unknown cluster', 'reviews-v2 STALE', 'mesh-gateway NOT CONNECTED',
    ]);
    const down = run(state, { type: 'connection', ok: false, problem: 'No control plane answers.' });
    expect(serviceRows(down).map((r) => r.sync)).toEqual(['NOT CONNECTED', 'NOT CONNECTED', 'NOT CONNECTED']);
  });

  it('counts a type a proxy never asked for (EDS on Compose: endpoints by DNS) as no news, unless nothing was asked', async () => {
    // The server says NOT USED for such a type (xds/sync.ts) and publishes the proxy's state.
    const dnsOnly = (id: string) => {
      const p = proxy(id);
      const types = { ...p.types, endpoints: { state: 'NOT USED' as const } };
      return { ...p, subscribed: p.subscribed.filter((k) => k !== 'endpoints'), types, sync: proxySync(types) };
    };
    const state = await canaryState([{ type: 'proxies', proxies: [dnsOnly('reviews-v1'), proxy('reviews-v2', 'NOT SENT'), dnsOnly('mesh-gateway')] }]);
    expect(serviceRows(state).map((r) => `${r.id} ${r.sync}`)).toEqual(['reviews-v1 SYNCED', 'reviews-v2 NOT SENT', 'mesh-gateway SYNCED']);
  });

  it('shows a weight change at once, keeps it over older file contents, and drops it once the files say the same', async () => {
    const view = await canaryView();
    let state = await canaryState([right, right, right]);
    expect(state.pending[KEY]).toEqual([75, 25]);
    expect(routeRows(state)[0]!.pending).toBe(true);
    // The files after the first write only: the dashboard keeps showing 75/25.
    const at = (w: number[]) => ({ ...view, routes: [{ ...view.routes[0]!, destinations: view.routes[0]!.destinations.map((d, i) => ({ ...d, weight: w[i]! })) }] });
    state = run(state, { type: 'mesh', mesh: at([85, 15]) });
    expect(routeRows(state)[0]!.weights).toEqual([75, 25]);
    state = run(state, { type: 'mesh', mesh: at([75, 25]) });
    expect(state.pending).toEqual({});
    expect(routeRows(state)[0]!.weights).toEqual([75, 25]);
  });

  describe('r: a history per route of every change, the dashboard’s and the file’s', () => {
    const key = (state: DashboardState, input: string, k: Partial<Record<'rightArrow' | 'leftArrow', boolean>> = {}) => run(state, keyToAction(state, input, k)!);
    /** The canary mesh with the files at these weights. */
    const files = async (w: number[]) => {
      const view = await canaryView();
      return { type: 'mesh', mesh: { ...view, routes: [{ ...view.routes[0]!, destinations: view.routes[0]!.destinations.map((d, i) => ({ ...d, weight: w[i]! })) }] } } satisfies Action;
    };
    const weights = (state: DashboardState) => routeRows(state)[0]!.weights;

    it('at 50/50: p, r, → →, r steps back to before the last change, never to the promotion', async () => {
      // The example's 90/10, then the file at 50/50: the first step back there is.
      let state = await canaryState([await files([50, 50])]);
      state = key(state, 'p');
      expect(weights(state)).toEqual([0, 100]);
      state = run(state, await files([0, 100])); // the write arrives
      state = key(state, 'r');
      expect(weights(state)).toEqual([50, 50]);
      expect(state.message).toEqual({ text: 'Rolled back reviews http[0] to v1 50 / v2 50 (1 more step back)', error: false });
      state = run(state, await files([50, 50]));
      state = key(key(state, '', { rightArrow: true }), '', { rightArrow: true });
      expect(weights(state)).toEqual([40, 60]);
      state = run(state, await files([45, 55]), await files([40, 60])); // both writes arrive: our own, not changes of the file
      state = key(state, 'r');
      expect(weights(state)).toEqual([45, 55]);
      expect(state.message?.text).toBe('Rolled back reviews http[0] to v1 45 / v2 55 (2 more steps back)');
      state = key(state, 'r');
      expect(weights(state)).toEqual([50, 50]);
      expect(state.message?.text).toBe('Rolled back reviews http[0] to v1 50 / v2 50 (1 more step back)');
      state = key(state, 'r');
      expect(weights(state)).toEqual([90, 10]);
      expect(state.message?.text).toBe('Rolled back reviews http[0] to v1 90 / v2 10 (no more steps back)');
      state = key(state, 'r');
      expect(weights(state)).toEqual([90, 10]);
      expect(state.message).toEqual({ text: 'Nothing to roll back: reviews http[0] has no earlier weights here.', error: true });
    });

    it('a weight change arriving from the file is a change r steps back over', async () => {
      let state = await canaryState([await files([50, 50])]);
      state = run(state, await files([70, 30])); // saved in an editor
      state = key(state, '', { rightArrow: true });
      expect(weights(state)).toEqual([65, 35]);
      state = run(state, await files([65, 35]));
      state = key(state, 'r');
      expect(weights(state)).toEqual([70, 30]);
      expect(state.message?.text).toBe('Rolled back reviews http[0] to v1 70 / v2 30 (2 more steps back)');
      state = run(state, await files([70, 30]));
      state = key(state, 'r');
      expect(weights(state)).toEqual([50, 50]);
      expect(state.message?.text).toBe('Rolled back reviews http[0] to v1 50 / v2 50 (1 more step back)');
      state = run(state, await files([50, 50]));
      state = key(state, 'r');
      expect(weights(state)).toEqual([90, 10]); // the example's own weights, before the first file change
    });

    it('a change that could not be written is not in the history', async () => {
      let state = await canaryState([await files([50, 50]), right, right, { type: 'writeFailed', key: KEY, text: 'Not written: invalid.' }]);
      expect(weights(state)).toEqual([50, 50]);
      state = run(state, { type: 'rollback' });
      expect(weights(state)).toEqual([90, 10]);
    });
  });

  it('promotes the selected subset; Enter selects the next one', async () => {
    expect((await canaryState([{ type: 'promote' }])).pending[KEY]).toEqual([0, 100]);
    expect((await canaryState([{ type: 'nextSubset' }, { type: 'promote' }])).pending[KEY]).toEqual([100, 0]);
    expect((await canaryState([{ type: 'nextSubset' }, right])).pending[KEY]).toEqual([95, 5]);
  });

  it('says in a sentence why a command does nothing', () => {
    const empty = initialState({ api: 'http://x' });
    expect(run(empty, right).message).toEqual({ text: 'There is no route to change: the mesh has no VirtualService with HTTP rules.', error: true });
    expect(run(empty, { type: 'rollback' }).message?.text).toBe('There is no route to roll back: the mesh has no VirtualService with HTTP rules.');
  });

  it('drops a weight change that could not be written, with the reason', async () => {
    const state = await canaryState([right, { type: 'writeFailed', key: KEY, text: 'Not written: invalid.' }]);
    expect(state.pending).toEqual({});
    expect(state.message).toEqual({ text: 'Not written: invalid.', error: true });
  });

  it('moves focus around the panes and rows within bounds; events scroll back from the newest', async () => {
    let state = await canaryState();
    expect(state.focus).toBe('routes');
    state = run(state, { type: 'focus', delta: -1 }, { type: 'move', delta: 1 }, { type: 'move', delta: 1 }, { type: 'move', delta: 5 });
    expect([state.focus, state.selected.services]).toEqual(['services', 2]);
    state = run(state, { type: 'focus', delta: -1 });
    expect(state.focus).toBe('logs');
    state = run(state, { type: 'focus', delta: -1 }, { type: 'move', delta: -2 });
    expect([state.focus, state.selected.events]).toEqual(['events', 2]);
  });

  it('keeps the last 30 rates per service and subset, zero when one went quiet', async () => {
    let state = await canaryState();
    for (let i = 0; i < 40; i++) state = run(state, { type: 'traffic', traffic: traffic([subset('v1', i)]) });
    expect(state.history['reviews.default.svc.cluster.local']).toHaveLength(30);
    expect(state.history['outbound|9080|v2|reviews.default.svc.cluster.local']!.at(-1)).toBe(0);
  });

  it('writes events as lines with their durations and places', () => {
    process.env.TZ = 'UTC';
    expect(EVENTS.map((e) => eventLine(e)).map((l) => `${l.error ? '!' : ' '} ${l.text}`)).toEqual([
      '  changed reviews.yaml, settled 51 ms',
      '! invalid reviews.yaml:17:19 weight must be a number (still serving 2-ab12)',
      '  compiled 3-cd34 in 12 ms for 3 proxies',
      '  pushed RDS mesh-gateway (3-cd34)',
      '  acked RDS mesh-gateway 7 ms (3-cd34)',
      '! NACK RDS reviews-v2: bad regex (3-cd34)',
    ]);
  });
});

describe('keyToAction', () => {
  const at = async (focus: DashboardState['focus']) => ({ ...(await canaryState()), focus });
  it('in the routes pane, ←/→ shift by 5, by 1 with Shift or another modifier; Enter picks the subset', async () => {
    const routes = await at('routes');
    expect(keyToAction(routes, '', { rightArrow: true })).toEqual({ type: 'shift', delta: 5 });
    expect(keyToAction(routes, '', { leftArrow: true })).toEqual({ type: 'shift', delta: -5 });
    expect(keyToAction(routes, '', { rightArrow: true, shift: true })).toEqual({ type: 'shift', delta: 1 });
    expect(keyToAction(routes, '', { leftArrow: true, meta: true })).toEqual({ type: 'shift', delta: -1 });
    expect(keyToAction(routes, '', { return: true })).toEqual({ type: 'nextSubset' });
  });

  it('elsewhere, ←/→ and Tab move between panes', async () => {
    const services = await at('services');
    expect(keyToAction(services, '', { rightArrow: true })).toEqual({ type: 'focus', delta: 1 });
    expect(keyToAction(services, '', { tab: true, shift: true })).toEqual({ type: 'focus', delta: -1 });
    expect(keyToAction(services, '', { downArrow: true })).toEqual({ type: 'move', delta: 1 });
    expect(keyToAction(services, '', { return: true })).toBeUndefined();
  });

  it('maps the command keys; with the help open, only ?, Esc and q do something', async () => {
    const state = await at('traffic');
    const keys = ['p', 'r', 'f', 'e', 't', '+', '-', '?', 'q', 'x'].map((k) => keyToAction(state, k, {})?.type ?? '-');
    expect(keys).toEqual(['promote', 'rollback', 'fault', 'edit', 'toggleLoad', 'rate', 'rate', 'help', 'quit', '-']);
    const help = { ...state, help: true };
    expect(keyToAction(help, 'p', {})).toBeUndefined();
    expect(keyToAction(help, '', { escape: true })).toEqual({ type: 'help' });
    expect(keyToAction(help, 'q', {})).toEqual({ type: 'quit' });
  });

  it('changes the generator rate by 10, never below 1', () => {
    const state = run(initialState({ api: 'http://x', rps: 20 }), { type: 'rate', delta: 10 });
    expect(state.load.rps).toBe(30);
    expect(run(state, { type: 'rate', delta: -100 }).load.rps).toBe(1);
  });
});
