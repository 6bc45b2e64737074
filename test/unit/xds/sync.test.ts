// The one sync rule (xds/sync.ts) that status, readiness, proxy-status and the dashboard read:
// per type SYNCED / STALE / NACK / NOT SENT / NOT USED, the proxy's worst, and the readiness
// phrases; and, through a stream and the status board, a proxy that resolves endpoints by DNS
// (Compose) and never asks for EDS is SYNCED with EDS not used.
import { beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS, TYPE_URLS, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import type { DiscoveryResponse } from '../../../src/xds/messages.ts';
import { StatusBoard } from '../../../src/xds/status.ts';
import { AdsStream } from '../../../src/xds/stream.ts';
import { isSynced, notSynced, proxySync, syncState } from '../../../src/xds/sync.ts';
import type { ProxyStatus, SyncState } from '../../../src/xds/types.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

describe('syncState', () => {
  it('a type never asked for is NOT USED when the snapshot holds none of it, NOT SENT when it holds some or is unknown', () => {
    expect(syncState({ resources: 0, latestVersion: 'v' })).toBe('NOT USED');
    expect(syncState({ resources: 2, latestVersion: 'v' })).toBe('NOT SENT');
    expect(syncState({})).toBe('NOT SENT');
  });

  it('a type asked for is NOT SENT until sent, even with nothing in it; then STALE, SYNCED or NACK', () => {
    expect(syncState({ subscribed: true, resources: 0 })).toBe('NOT SENT');
    expect(syncState({ subscribed: true, sentVersion: 'a', latestVersion: 'a' })).toBe('STALE');
    expect(syncState({ subscribed: true, sentVersion: 'a', ackedVersion: 'a', latestVersion: 'a', resources: 0 })).toBe('SYNCED');
    expect(syncState({ subscribed: true, resources: 0, nack: { version: 'a', message: 'bad', at: 0 } })).toBe('NACK');
  });
});

const types = (...states: SyncState[]) =>
  Object.fromEntries(RESOURCE_KINDS.map((k, i) => [k, { state: states[i] ?? 'SYNCED' }])) as Record<ResourceKind, { state: SyncState }>;

describe('proxySync', () => {
  it('is the worst state of the types used; NOT USED is no news', () => {
    expect(proxySync(types('SYNCED', 'SYNCED', 'SYNCED', 'NOT USED'))).toBe('SYNCED');
    expect(proxySync(types('NOT USED', 'NOT USED', 'NOT USED', 'NOT USED'))).toBe('SYNCED');
    expect(proxySync(types('NOT SENT', 'SYNCED', 'STALE', 'NOT USED'))).toBe('STALE');
    expect(proxySync(types('NOT SENT', 'NACK', 'STALE', 'SYNCED'))).toBe('NACK');
    expect(proxySync(types('SYNCED', 'NOT SENT'))).toBe('NOT SENT');
  });
});

describe('notSynced', () => {
  const status = (id: string, connected: boolean, ...states: SyncState[]): ProxyStatus => {
    const t = types(...states);
    return { id, connected, subscribed: [], types: t, sync: proxySync(t) } as ProxyStatus;
  };

  it('names each proxy not in sync with its types behind, leaving out the ones it does not use', () => {
    const proxies = [
      status('a', true, 'SYNCED', 'SYNCED', 'SYNCED', 'NOT USED'),
      status('b', true, 'STALE', 'SYNCED', 'SYNCED', 'NOT USED'),
      status('c', false),
    ];
    expect(notSynced(proxies, ['a', 'b', 'c', 'd'])).toEqual(['b (listeners STALE)', 'c (not connected)', 'd (not connected)']);
    expect(isSynced(proxies[0]!)).toBe(true);
    expect(isSynced(proxies[2]!)).toBe(false);
  });
});

describe('a proxy that finds endpoints by DNS (the Compose runtime)', () => {
  let board: StatusBoard;
  let sent: DiscoveryResponse[];
  let stream: AdsStream;

  beforeEach(() => {
    const cache = new SnapshotCache();
    board = new StatusBoard(cache);
    sent = [];
    let nonce = 0;
    stream = new AdsStream({ cache, board, send: (r) => sent.push(r), nonce: () => `n${++nonce}` });
    const dns = snapshot({ a: 50, b: 50 });
    cache.setSnapshot('p1', {
      ...dns,
      clusters: dns.clusters.map((c) => ({ ...c, value: { name: c.name, type: 'STRICT_DNS', connect_timeout: '1s' } })),
      endpoints: [],
    });
  });

  const NODE = { id: 'p1', cluster: 'svc', metadata: { service: 'svc', version: 'v1' } };
  const ask = (kind: ResourceKind, names: string[] = []) =>
    stream.onRequest({ node: NODE, version_info: '', resource_names: names, type_url: TYPE_URLS[kind], response_nonce: '' });
  const ack = (r: DiscoveryResponse, names: string[] = []) =>
    stream.onRequest({ version_info: r.version_info, resource_names: names, type_url: r.type_url, response_nonce: r.nonce });
  const p1 = () => board.status()[0]!;

  it('is SYNCED with EDS NOT USED once CDS, LDS and RDS are ACKed; RDS is NOT SENT until it asks for it', () => {
    ask('clusters');
    ack(sent.at(-1)!);
    ask('listeners');
    ack(sent.at(-1)!);
    expect(p1()).toMatchObject({ subscribed: ['listeners', 'clusters'], sync: 'NOT SENT', types: { routes: { state: 'NOT SENT' }, endpoints: { state: 'NOT USED' } } });
    expect(notSynced([p1()], ['p1'])).toEqual(['p1 (routes NOT SENT)']);
    ask('routes', ['routes']);
    ack(sent.at(-1)!, ['routes']);
    expect(p1().subscribed).toEqual(['listeners', 'routes', 'clusters']);
    expect(RESOURCE_KINDS.map((k) => p1().types[k].state)).toEqual(['SYNCED', 'SYNCED', 'SYNCED', 'NOT USED', 'NOT USED', 'NOT USED']);
    expect(p1().sync).toBe('SYNCED');
    expect(notSynced([p1()], ['p1'])).toEqual([]);
  });
});
