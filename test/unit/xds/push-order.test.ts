// The push order on its own, over a stand-in stream that sends whatever it is told and records it:
// CDS and EDS before LDS and RDS, LDS/RDS held while new clusters warm, removed clusters kept
// until the routes that left them are answered.
import { beforeEach, describe, expect, it } from 'vitest';
import { RESOURCE_KINDS, type ProxySnapshot, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { SnapshotCache, type CachedSnapshot } from '../../../src/xds/cache.ts';
import { PushOrder, type OrderedStream } from '../../../src/xds/push-order.ts';
import { snapshot } from '../../helpers/xds-snapshots.ts';

type Sent = NonNullable<ReturnType<OrderedStream['sent']>>;

let cache: SnapshotCache;
let order: PushOrder;
let sent: Map<ResourceKind, Sent>;
let names: Map<ResourceKind, string[]>;
/** Every type sent since the stream was in sync, in order. */
let pushes: ResourceKind[];

function cached(s: ProxySnapshot): CachedSnapshot {
  cache.setSnapshot('p1', s);
  return cache.getSnapshot('p1')!;
}

/** What the stream sends for a type: the names Envoy asked for, or everything, as the push order says. */
function send(kind: ResourceKind, at: CachedSnapshot): void {
  const type = at.types[kind];
  const asked = names.get(kind);
  const resources = asked
    ? asked.flatMap((n) => type.byName.get(n) ?? order.kept(kind, n) ?? [])
    : [...type.resources, ...order.extra(kind)];
  sent.set(kind, { version: order.version(kind, at), answered: false, resources, from: at });
  pushes.push(kind);
}

/** Envoy answers the last response of a type, and (EDS, RDS) asks for these names. */
function answer(kind: ResourceKind, at: CachedSnapshot, options: { names?: string[]; nack?: boolean } = {}): void {
  sent.get(kind)!.answered = true;
  if (options.names) names.set(kind, options.names);
  if (!order.holds(kind) && sent.get(kind)!.version !== order.version(kind, at)) send(kind, at);
  order.onRequest(kind, options.nack ?? false, at);
}

const named = (resources: readonly { name: string }[]) => resources.map((r) => r.name);

beforeEach(() => {
  cache = new SnapshotCache();
  sent = new Map();
  names = new Map([['endpoints', ['a', 'b']], ['routes', ['routes']]]);
  pushes = [];
  const stream: OrderedStream = {
    sent: (kind) => sent.get(kind),
    names: (kind) => names.get(kind),
    pushChanged(at, kinds) {
      const changed = kinds.filter((kind) => sent.has(kind) && sent.get(kind)!.version !== order.version(kind, at));
      for (const kind of changed) send(kind, at);
      return changed;
    },
  };
  order = new PushOrder(stream);
  // In sync with a → routes → a, b.
  const start = cached(snapshot({ a: 50, b: 50 }));
  for (const kind of RESOURCE_KINDS) {
    send(kind, start);
    sent.get(kind)!.answered = true;
  }
  pushes = [];
});

describe('the push order', () => {
  it('sends only the types that changed: a weight change is RDS alone', () => {
    order.onSnapshot(cached(snapshot({ a: 90, b: 10 })));
    expect(pushes).toEqual(['routes']);
  });

  it('sends CDS and EDS first and holds LDS/RDS until Envoy asked for the new cluster\'s endpoints', () => {
    const next = cached(snapshot({ a: 40, b: 40, c: 20 }));
    order.onSnapshot(next);
    expect(pushes).toEqual(['clusters', 'endpoints']);
    expect(order.holds('routes')).toBe(true);
    expect(order.holds('listeners')).toBe(true);
    expect(order.holds('endpoints')).toBe(false);
    answer('clusters', next);
    expect(pushes).toEqual(['clusters', 'endpoints']);
    answer('endpoints', next, { names: ['a', 'b', 'c'] });
    expect(pushes).toEqual(['clusters', 'endpoints', 'routes']);
    expect(order.holds('routes')).toBe(false);
  });

  it('lets LDS/RDS go when CDS is NACKed: no endpoints will be asked for', () => {
    const next = cached(snapshot({ a: 40, b: 40, c: 20 }));
    order.onSnapshot(next);
    answer('clusters', next, { nack: true });
    expect(pushes).toEqual(['clusters', 'endpoints', 'routes']);
  });

  it('keeps removed clusters, with their endpoints, until Envoy has answered the routes that left them', () => {
    const next = cached(snapshot({ a: 100 }));
    order.onSnapshot(next);
    expect(pushes).toEqual(['clusters', 'endpoints', 'routes']);
    expect(sent.get('clusters')!.version).toBe(`${next.types.clusters.version}+keep`);
    expect(named(sent.get('clusters')!.resources)).toEqual(['a', 'b']);
    expect(named(sent.get('endpoints')!.resources)).toEqual(['a', 'b']);
    answer('clusters', next);
    answer('endpoints', next, { names: ['a', 'b'] });
    expect(pushes).toHaveLength(3);
    answer('routes', next);
    expect(pushes).toEqual(['clusters', 'endpoints', 'routes', 'clusters']);
    expect(sent.get('clusters')!.version).toBe(next.types.clusters.version);
    expect(named(sent.get('clusters')!.resources)).toEqual(['a']);
    expect(order.extra('clusters')).toEqual([]);
    expect(order.kept('endpoints', 'b')).toBeUndefined();
  });

  it('lets the final CDS go when the new routes are NACKed', () => {
    const next = cached(snapshot({ a: 100 }));
    order.onSnapshot(next);
    answer('routes', next, { nack: true });
    expect(pushes.at(-1)).toBe('clusters');
    expect(named(sent.get('clusters')!.resources)).toEqual(['a']);
  });

  it('removes clusters at once when LDS and RDS do not change', () => {
    const both = snapshot({ a: 50, b: 50 });
    const extra = snapshot({ a: 40, b: 40, c: 20 });
    const wider = cached({ ...both, clusters: extra.clusters, endpoints: extra.endpoints });
    order.onSnapshot(wider);
    answer('clusters', wider);
    answer('endpoints', wider, { names: ['a', 'b', 'c'] });
    pushes = [];
    const narrower = cached(both);
    order.onSnapshot(narrower);
    expect(pushes).toEqual(['clusters', 'endpoints']);
    expect(sent.get('clusters')!.version).toBe(narrower.types.clusters.version);
    expect(named(sent.get('clusters')!.resources)).toEqual(['a', 'b']);
  });

  it('sends nothing to a stream that never asked for a type', () => {
    sent.delete('listeners');
    sent.delete('routes');
    order.onSnapshot(cached(snapshot({ a: 90, b: 10 })));
    expect(pushes).toEqual([]);
  });
});
