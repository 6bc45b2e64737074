// What the status board tells of each proxy (as `mesh proxy-status` shows it), and the events it
// emits, driven through ProxyHandles the way streams drive them.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { StatusBoard } from '../../../src/xds/status.ts';
import { syncState } from '../../../src/xds/sync.ts';
import type { XdsEvent } from '../../../src/xds/types.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

let cache: SnapshotCache;
let board: StatusBoard;
let events: XdsEvent[];

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  cache = new SnapshotCache();
  board = new StatusBoard(cache);
  events = [];
  board.subscribe((e) => events.push(e));
});
afterEach(() => vi.useRealTimers());

const proxy = (id: string) => board.status().find((p) => p.id === id)!;

describe('the status board', () => {
  it('emits each step with what was pushed, ACKed or NACKed, and the push-to-ACK latency', () => {
    const handle = board.connect('p1', { service: 'reviews', version: 'v1' });
    handle.pushed('routes', 'r1', 'n1', ['outbound']);
    vi.advanceTimersByTime(25);
    handle.acked('routes', 'r1');
    handle.pushed('routes', 'r2', 'n2', ['outbound']);
    handle.nacked('routes', 'r2', 'bad route');
    vi.advanceTimersByTime(5);
    handle.disconnected();
    expect(events).toEqual([
      { type: 'connected', proxy: 'p1', at: 1_000_000 },
      { type: 'pushed', proxy: 'p1', kind: 'routes', version: 'r1', resources: ['outbound'], at: 1_000_000 },
      { type: 'acked', proxy: 'p1', kind: 'routes', version: 'r1', latencyMs: 25, at: 1_000_025 },
      { type: 'pushed', proxy: 'p1', kind: 'routes', version: 'r2', resources: ['outbound'], at: 1_000_025 },
      { type: 'nacked', proxy: 'p1', kind: 'routes', version: 'r2', message: 'bad route', at: 1_000_025 },
      { type: 'disconnected', proxy: 'p1', at: 1_000_030 },
    ]);
    expect(proxy('p1')).toMatchObject({ connected: false, connectedAt: 1_000_000, disconnectedAt: 1_000_030 });
    expect(proxy('p1').types.routes).toMatchObject({ sentVersion: 'r2', ackedVersion: 'r1', lastAckLatencyMs: 25, state: 'NACK' });
  });

  it('an ACK of nothing pushed has no latency to speak of', () => {
    board.connect('p1', {}).acked('clusters', 'c1');
    expect(events.at(-1)).toMatchObject({ type: 'acked', latencyMs: 0 });
  });

  it('ignores the handle of a stream that a newer connection of the proxy replaced, and says disconnected once', () => {
    const old = board.connect('p1', { service: 'reviews' });
    const current = board.connect('p1', { service: 'reviews' });
    const before = events.length;
    old.pushed('routes', 'r1', 'n1', []);
    old.acked('routes', 'r1');
    old.nacked('routes', 'r1', 'no');
    old.disconnected();
    expect(events).toHaveLength(before);
    expect(proxy('p1')).toMatchObject({ connected: true, types: { routes: { state: 'NOT SENT' } } });
    current.disconnected();
    current.disconnected();
    expect(events.slice(before)).toEqual([{ type: 'disconnected', proxy: 'p1', at: 1_000_000 }]);
  });

  it('lists proxies with a snapshot or a connection, sorted; the node\'s service first, else the snapshot\'s', () => {
    cache.setSnapshot('p3', snapshot({ a: 1 }, 'p3'));
    board.connect('p2', { service: 'from-node', version: 'v9' });
    cache.setSnapshot('p2', snapshot({ a: 1 }, 'p2'));
    board.connect('p1', {});
    const [p1, p2, p3] = board.status();
    expect([p1!.id, p2!.id, p3!.id]).toEqual(['p1', 'p2', 'p3']);
    expect(p1).toMatchObject({ connected: true, service: undefined, types: { routes: { latestVersion: undefined, state: 'NOT SENT' } } });
    expect(p2).toMatchObject({ service: 'from-node', version: 'v9' });
    expect(p3).toMatchObject({ service: 'svc', version: 'v1', connected: false, connectedAt: undefined, disconnectedAt: undefined });
    expect(p3!.types.routes.latestVersion).toBe(cache.getSnapshot('p3')!.types.routes.version);
  });

  it('stops telling a subscriber that unsubscribed', () => {
    const heard: XdsEvent[] = [];
    const stop = board.subscribe((e) => heard.push(e));
    board.connect('p1', {});
    stop();
    board.connect('p2', {});
    expect(heard.map((e) => e.type)).toEqual(['connected']);
  });
});

describe('syncState', () => {
  it('is SYNCED only when the version ACKed is the latest', () => {
    expect(syncState({})).toBe('NOT SENT');
    expect(syncState({ sentVersion: 'a' })).toBe('STALE');
    expect(syncState({ sentVersion: 'a', ackedVersion: 'a', latestVersion: 'b' })).toBe('STALE');
    expect(syncState({ sentVersion: 'a', ackedVersion: 'a', latestVersion: 'a' })).toBe('SYNCED');
    expect(syncState({ sentVersion: 'a', nack: { version: 'a', message: 'x', at: 0 } })).toBe('NACK');
  });
});
