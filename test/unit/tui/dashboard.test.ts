// The dashboard's components with ink-testing-library: a state in, the frame out (at 80×24 and
// larger); keys in, actions out.
import { render } from 'ink-testing-library';
import { createElement as h } from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyInput } from '../../../src/tui/app.ts';
import { Dashboard, KEYS } from '../../../src/tui/dashboard.ts';
import type { Action, DashboardState } from '../../../src/tui/state.ts';
import { canaryState, proxy } from './fixtures.ts';

process.env.TZ = 'UTC';
const mounted: Array<{ unmount(): void }> = [];
afterEach(() => mounted.splice(0).forEach((m) => m.unmount()));

function frame(state: DashboardState): string[] {
  const app = render(h(Dashboard, { state }));
  mounted.push(app);
  return app.lastFrame()!.split('\n');
}

describe('Dashboard', () => {
  it('fills 80×24 exactly: header, services, traffic, routes with bars, events, logs, keys', async () => {
    const lines = frame(await canaryState());
    expect(lines).toHaveLength(24);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(lines[0]).toBe('localmesh canary · serving 3-cd34 · load off (20/s)');
    expect(text).toContain('│reviews-v1   running     SYNCED');
    expect(text).toContain('│mesh-gateway running     SYNCED');
    expect(text).toMatch(/│reviews +30\.0 +0% +1\.5ms +9\.0ms +▃▅█│/);
    expect(text).toMatch(/│ {2}v2 +3\.3 +0% +1\.5ms +9\.0ms +▃▅█│/);
    expect(text).toContain('║reviews http[0]: all requests');
    expect(text).toContain('║ v1 █████████████░  90%  got  89% ║');
    expect(text).toContain('║▸v2 █░░░░░░░░░░░░░  10%  got  11% ║');
    expect(text).toContain('│12:00:01 invalid reviews.yaml:17:19 weigh…│');
    expect(text).toContain('│12:00:02 NACK RDS reviews-v2: bad regex (…│');
    expect(text).toContain('│Logs: reviews-v1');
    expect(text).toContain('│reviews v1 listening on :9080');
    expect(lines[23]).toMatch(/←→ weight .* \? help q quit *$/);
  });

  it('keeps ? help and q quit in the key bar at any width, dropping other keys first', async () => {
    for (const width of [80, 60, 40, 24]) {
      const lines = frame({ ...(await canaryState()), width });
      const bar = lines.at(-1)!;
      expect([...bar].length, `${width}: ${bar}`).toBeLessThanOrEqual(width);
      expect(bar.trimEnd(), `${width}`).toMatch(/\? help q quit$/);
      expect(bar).not.toContain('…');
    }
    expect(frame({ ...(await canaryState()), width: 120 }).at(-1)).toMatch(/^Tab pane ↑↓ row ←→ weight ⏎ subset p promote r rollback f fault e edit t load \? help q quit/);
  });

  it('wraps the help at word boundaries at 80 columns, every word of every key whole', async () => {
    const lines = frame({ ...(await canaryState()), help: true });
    expect(lines).toHaveLength(24);
    expect(Math.max(...lines.map((l) => [...l].length))).toBeLessThanOrEqual(80);
    const inner = lines.slice(3, -2).map((l) => l.slice(1, -1)); // below the header, the border and the title
    expect(inner.join('\n')).not.toContain('…');
    const column = Math.max(...KEYS.map(([k]) => k.length)) + 2;
    // Each key's description, read back from its lines (the key column, then continuation lines under it).
    const read: string[] = [];
    for (const line of inner) {
      const key = line.slice(0, column).trim();
      const what = line.slice(column).trim();
      if (!what) continue;
      if (key) read.push(what);
      else read[read.length - 1] += ` ${what}`;
    }
    expect(read).toEqual(KEYS.map(([, what]) => what));
    expect(inner.filter((l) => l.slice(0, column).trim() === '' && l.trim() !== '').length, 'some description wraps').toBeGreaterThan(0);
  });

  it('marks the focused pane with a double border, a pending weight with *, and a fault on its own line', async () => {
    const state = await canaryState([{ type: 'shift', delta: 5 }]);
    const view = state.mesh!;
    const faulty = { ...view, routes: [{ ...view.routes[0]!, fault: 'delay' as const, faultText: 'fault delay 1s on 50%' }] };
    const text = frame({ ...state, mesh: faulty, pending: state.pending, focus: 'routes' }).join('\n');
    expect(text).toContain('╔══');
    expect(text).toContain(' 85%*');
    expect(text).toContain('║  fault delay 1s on 50%');
  });

  it('lays out a larger terminal with the space shared out, and shows the help over the panes', async () => {
    const big = frame({ ...(await canaryState()), width: 100, height: 40 });
    expect(big).toHaveLength(40);
    expect(Math.max(...big.map((l) => [...l].length))).toBeLessThanOrEqual(100);
    const help = frame({ ...(await canaryState()), help: true }).join('\n');
    expect(help).toContain('Keys (press ? or Esc to close)');
    expect(help).toMatch(/p +promote the selected subset to 100%/);
    expect(help).not.toContain('Services');
  });

  it('says what is wrong in the header and footer: control plane down, invalid files, a failed write', async () => {
    const loaded = frame(await canaryState([{ type: 'load', load: { running: true, requests: 100, byStatus: { 200: 50, 503: 50 } } }]));
    expect(loaded[0]).toBe('localmesh canary · serving 3-cd34 · load 20/s · 100 answered, 50% failed');
    const down = frame(await canaryState([{ type: 'connection', ok: false, problem: 'No control plane answers at http://127.0.0.1:15080 (ECONNREFUSED).' }]));
    expect(down[0]).toContain('control plane not answering');
    expect(down[23]).toMatch(/^No control plane answers at http:\/\/127\.0\.0\.1:15080/);
    const invalid = await canaryState();
    const lines = frame({ ...invalid, status: { ...invalid.status!, valid: false }, message: { text: 'Not written: the edit would make the mesh invalid.', error: true } });
    expect(lines[0]).toContain('files INVALID (last good serving)');
    expect(lines[23]).toMatch(/^Not written: the edit would make the mesh invalid\./);
    // Without a message, the footer names the first error of the files.
    const diagnostic = { file: 'reviews.yaml', line: 17, col: 19, severity: 'error' as const, message: 'weight must be a number' };
    const footer = frame({ ...invalid, status: { ...invalid.status!, valid: false, diagnostics: [diagnostic] } });
    expect(footer[23]).toBe('The files are invalid (last good config serving): reviews.yaml:17:19: weight mu…');
  });

  it('shows a NACK and a stopped process in the services pane', async () => {
    const state = await canaryState([
      { type: 'proxies', proxies: [proxy('reviews-v1', 'NACK'), proxy('reviews-v2'), proxy('mesh-gateway')] },
      { type: 'processes', processes: [{ name: 'reviews-v1', running: true }, { name: 'reviews-v2', running: false }] },
    ]);
    const text = frame(state).join('\n');
    expect(text).toContain('│reviews-v1   running     NACK: ro…│');
    expect(text).toContain('reviews-v2   exited      SYNCED');
  });

  it('shows an app whose sidecar is down as unreachable, and how often a process was restarted', async () => {
    const state = await canaryState([
      {
        type: 'processes',
        processes: [
          { name: 'reviews-v1', running: true, problem: 'unreachable: reviews-v1-proxy is down (the healer starts it again; mesh up reconciles)' },
          { name: 'reviews-v2', running: true, restarts: 2 },
        ],
      },
    ]);
    const text = frame(state).join('\n');
    expect(text).toContain('reviews-v1   unreachable SYNCED');
    expect(text).toContain('reviews-v2   running ×2  SYNCED');
  });

  it('under mesh up --watch, shows each version restarting, then how long the save took to serve, or that it failed', async () => {
    const rows = (loops: Array<Record<string, unknown>>) =>
      canaryState([{ type: 'processes', processes: loops.map((loop, i) => ({ name: `reviews-v${i + 1}`, running: true, loop })) as never }]);
    const text = frame(await rows([{ action: 'restart', state: 'restarting' }, { action: 'restart', state: 'serving', servingMs: 431 }])).join('\n');
    expect(text).toContain('reviews-v1   restarting… SYNCED');
    expect(text).toContain('reviews-v2   new 0.43 s  SYNCED');
    const failed = frame(await rows([{ action: 'rebuild', state: 'failed' }, { action: 'sync+restart', state: 'failed' }])).join('\n');
    expect(failed).toContain('reviews-v1   rebuild ✗   SYNCED');
    expect(failed).toContain('reviews-v2   sync ✗      SYNCED');
  });
});

describe('KeyInput', () => {
  async function press(state: DashboardState, ...sequences: string[]): Promise<Action[]> {
    const actions: Action[] = [];
    const app = render(h(KeyInput, { state, onAction: (a: Action) => actions.push(a) }));
    mounted.push(app);
    for (const s of sequences) {
      await new Promise((r) => setTimeout(r, 20));
      app.stdin.write(s);
    }
    await new Promise((r) => setTimeout(r, 20));
    return actions;
  }

  it('turns terminal key sequences into actions: arrows, Shift-arrows, Tab, letters', async () => {
    const state = await canaryState();
    expect(await press(state, '\x1b[C', '\x1b[D', '\x1b[1;2C', '\x1b[1;2D', '\x1b[1;3C', '\t', 'p', 'f', '?')).toEqual([
      { type: 'shift', delta: 5 },
      { type: 'shift', delta: -5 },
      { type: 'shift', delta: 1 },
      { type: 'shift', delta: -1 },
      { type: 'shift', delta: 1 },
      { type: 'focus', delta: 1 },
      { type: 'promote' },
      { type: 'fault' },
      { type: 'help' },
    ]);
  });

  it("v shows the selected service's requests in the events pane (the tap), a failed one in red; v again the events", async () => {
    const entry = (over: Record<string, unknown>) => ({
      at: Date.UTC(2026, 11, 1, 14, 0, 1), proxy: 'mesh-gateway', listener: 'gateway_80', method: 'GET', authority: 'localhost', path: '/', status: 200, flags: [],
      upstreamCluster: 'outbound|9080|v1|reviews.default.svc.cluster.local', durationMs: 1.25, requestId: 'a', source: '', headers: {}, ...over,
    });
    const requests = [
      entry({}),
      entry({ proxy: 'reviews-v1', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', path: '/one' }),
      entry({ proxy: 'reviews-v2', listener: 'inbound_9080', upstreamCluster: 'inbound|9080||', path: '/two', status: 503, flags: ['UF'] }),
    ];
    const state = await canaryState([{ type: 'requests', requests }, { type: 'toggleRequests' }]);
    const text = frame({ ...state, width: 140, height: 30 }).join('\n');
    expect(text).toContain('Requests: reviews-v1');
    expect(text).toContain('14:00:01 mesh-gateway GET / 200 1.3ms → reviews/v1');
    expect(text).toContain('14:00:01 reviews-v1 GET /one 200 1.3ms → app');
    expect(text).not.toContain('/two');
    const back = await canaryState([{ type: 'requests', requests }, { type: 'toggleRequests' }, { type: 'toggleRequests' }]);
    expect(frame(back).join('\n')).not.toContain('Requests');
  });

  it("shows each version's identity and mTLS: a marker in the services pane, the SPIFFE id over its log", async () => {
    const state = await canaryState([{ type: 'logs', name: 'reviews-v1', lines: ['listening'] }]);
    const plain = frame({ ...state, width: 140, height: 30 }).join('\n');
    expect(plain).toContain('Logs: reviews-v1 · spiffe://cluster.local/ns/default/sa/reviews · plain text');
    const mesh = state.mesh!;
    const strict = { ...mesh, services: mesh.services.map((s) => ({ ...s, security: Object.fromEntries(Object.entries(s.security).map(([v, x]) => [v, { ...x, mtls: 'STRICT' as const }])) })) };
    const text = frame({ ...state, mesh: strict, width: 140, height: 30 }).join('\n');
    expect(text).toMatch(/reviews-v1 +running +SYNCED mTLS strict/);
    expect(text).toContain('Logs: reviews-v1 · spiffe://cluster.local/ns/default/sa/reviews · mTLS STRICT');
  });

  it('quits on q and Ctrl-C', async () => {
    expect(await press(await canaryState(), 'q', '\x03')).toEqual([{ type: 'quit' }, { type: 'quit' }]);
  });
});
