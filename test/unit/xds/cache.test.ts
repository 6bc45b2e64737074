import { describe, expect, it } from 'vitest';
import { RESOURCE_KINDS, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { consistencyProblems, InconsistentSnapshotError, SnapshotCache, type CachedSnapshot } from '../../../src/xds/cache.ts';
import { assignment, edsCluster, listener, routeConfig, snapshot } from '../../helpers/xds-snapshots.ts';

const versions = (c: CachedSnapshot) => Object.fromEntries(RESOURCE_KINDS.map((k) => [k, c.types[k].version])) as Record<ResourceKind, string>;

describe('versions', () => {
  it('are the same for the same content, even from new objects', () => {
    const cache = new SnapshotCache();
    const first = versions(cache.setSnapshot('p1', snapshot()));
    expect(versions(cache.setSnapshot('p1', snapshot()))).toEqual(first);
    expect(versions(new SnapshotCache().setSnapshot('p1', snapshot()))).toEqual(first);
  });

  it('change only for the type whose resources changed', () => {
    const cache = new SnapshotCache();
    const before = versions(cache.setSnapshot('p1', snapshot({ a: 50, b: 50 })));
    const after = versions(cache.setSnapshot('p1', snapshot({ a: 90, b: 10 })));
    expect(after.routes).not.toBe(before.routes);
    expect({ ...after, routes: '' }).toEqual({ ...before, routes: '' });
  });

  it('do not depend on resource order', () => {
    const s = snapshot();
    const reversed = { ...s, clusters: [...s.clusters].reverse(), endpoints: [...s.endpoints].reverse() };
    expect(versions(new SnapshotCache().setSnapshot('p1', reversed))).toEqual(versions(new SnapshotCache().setSnapshot('p1', s)));
  });

  it('do not depend on resource order, with many resources in any order', () => {
    const s = snapshot({ a: 10, b: 20, c: 30, d: 20, e: 10, f: 10 });
    const expected = versions(new SnapshotCache().setSnapshot('p1', s)).clusters;
    // Every rotation and its reverse: orders a sort with a comparator that is not a total order gets wrong.
    for (let i = 0; i < s.clusters.length; i++) {
      const rotated = [...s.clusters.slice(i), ...s.clusters.slice(0, i)];
      for (const clusters of [rotated, [...rotated].reverse()]) {
        expect(versions(new SnapshotCache().setSnapshot('p1', { ...s, clusters })).clusters).toBe(expected);
      }
    }
  });

  it('are short hex strings, and each resource has its own content hash', () => {
    const cached = new SnapshotCache().setSnapshot('p1', snapshot());
    for (const kind of RESOURCE_KINDS) expect(cached.types[kind].version).toMatch(/^[0-9a-f]{12}$/);
    const [a, b] = cached.types.clusters.resources;
    expect(a!.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(b!.hash).not.toBe(a!.hash);
  });

  it('hash shared resources once: proxies sharing an object share its bytes and hash', () => {
    const cache = new SnapshotCache();
    const one = snapshot();
    const two = { ...one, proxy: 'p2' };
    cache.setSnapshots([one, two]);
    const a = cache.getSnapshot('p1')!.types.clusters.resources[0]!;
    const b = cache.getSnapshot('p2')!.types.clusters.resources[0]!;
    expect(b.bytes).toBe(a.bytes);
    expect(b.hash).toBe(a.hash);
  });

  it('proxies published together with the same resources of a type share its one prepared list; a proxy with other resources has its own', () => {
    const cache = new SnapshotCache();
    const one = snapshot({ a: 50, b: 50 });
    const other = snapshot({ a: 90, b: 10 }, 'p3');
    cache.setSnapshots([one, { ...one, proxy: 'p2', clusters: [...one.clusters] }, other]);
    const [p1, p2, p3] = ['p1', 'p2', 'p3'].map((p) => cache.getSnapshot(p)!);
    expect(p2!.types.clusters).toBe(p1!.types.clusters); // an equal list of the same objects
    expect(p2!.types.routes).toBe(p1!.types.routes);
    expect(p3!.types.routes).not.toBe(p1!.types.routes);
    expect(p3!.types.routes.version).not.toBe(p1!.types.routes.version);
    expect(p3!.types.clusters.version).toBe(p1!.types.clusters.version);
  });

  it('a publish of new objects with the content of the last one reuses its encodings; content it no longer holds is forgotten', () => {
    const cache = new SnapshotCache();
    cache.setSnapshots([snapshot({ a: 50, b: 50 })]);
    const first = cache.getSnapshot('p1')!;
    cache.setSnapshots([snapshot({ a: 90, b: 10 })]);
    const second = cache.getSnapshot('p1')!;
    expect(second.types.clusters.resources[0]).toBe(first.types.clusters.resources[0]); // new objects, same content
    expect(second.types.routes.resources[0]).not.toBe(first.types.routes.resources[0]);
    cache.setSnapshots([snapshot({ a: 50, b: 50 })]);
    const third = cache.getSnapshot('p1')!;
    expect(third.types.routes.resources[0]).not.toBe(first.types.routes.resources[0]); // dropped by the publish before
    expect(third.types.routes.resources[0]!.bytes).toEqual(first.types.routes.resources[0]!.bytes);
    expect(third.types.routes.version).toBe(first.types.routes.version);
  });

  it('an inconsistent snapshot among many that share their lists is still refused, by its own proxy id', () => {
    const good = snapshot();
    const bad = { ...snapshot({ a: 100 }, 'p9'), endpoints: [] };
    expect(() => new SnapshotCache().setSnapshots([good, { ...good, proxy: 'p2' }, bad, { ...bad, proxy: 'p10' }])).toThrow(
      'snapshot for proxy p9 is inconsistent',
    );
  });
});

describe('consistency', () => {
  const problemsOf = (change: (s: ReturnType<typeof snapshot>) => void): string[] => {
    const s = snapshot();
    change(s);
    try {
      new SnapshotCache().setSnapshot('p1', s);
    } catch (error) {
      expect(error).toBeInstanceOf(InconsistentSnapshotError);
      expect((error as Error).message).toContain('snapshot for proxy p1 is inconsistent');
      return (error as InconsistentSnapshotError).problems;
    }
    throw new Error('the snapshot was accepted');
  };

  it('an EDS cluster needs its ClusterLoadAssignment', () => {
    expect(problemsOf((s) => s.endpoints.pop())).toEqual(['EDS cluster "b" has no ClusterLoadAssignment']);
  });

  it('a ClusterLoadAssignment needs an EDS cluster', () => {
    expect(problemsOf((s) => s.endpoints.push({ name: 'c', value: assignment('c', 1) }))).toEqual([
      'ClusterLoadAssignment "c" is named by no EDS cluster',
    ]);
  });

  it('an EDS cluster with service_name is served under that name', () => {
    const s = snapshot({ a: 100 });
    s.clusters = [{ name: 'a', value: { ...edsCluster('a'), eds_cluster_config: { eds_config: { ads: {} }, service_name: 'x' } } }];
    expect(() => new SnapshotCache().setSnapshot('p1', s)).toThrow(/EDS cluster "x" has no ClusterLoadAssignment.*ClusterLoadAssignment "a" is named by no EDS cluster/);
  });

  it('a listener\'s RDS name needs its RouteConfiguration, and every RouteConfiguration a listener', () => {
    expect(problemsOf((s) => (s.listeners = [{ name: 'http', value: listener('http', 'other') }]))).toEqual([
      'a listener refers to RouteConfiguration "other", which is not in the snapshot',
      'RouteConfiguration "routes" is named by no listener',
    ]);
  });

  it('names are unique and match the resource', () => {
    expect(problemsOf((s) => s.routes.push({ name: 'routes', value: routeConfig('routes', { a: 1 }) }))).toEqual([
      'routes: "routes" appears twice',
    ]);
    expect(problemsOf((s) => (s.clusters[0] = { name: 'a', value: edsCluster('z') }))).toContain('clusters: "a" has name "z"');
  });

  it('names every problem, one after the other', () => {
    const s = snapshot();
    s.endpoints = [];
    expect(() => new SnapshotCache().setSnapshot('p1', s)).toThrow(
      'snapshot for proxy p1 is inconsistent: EDS cluster "a" has no ClusterLoadAssignment; EDS cluster "b" has no ClusterLoadAssignment',
    );
  });

  it('an EDS cluster without eds_cluster_config is served under its own name', () => {
    const s = snapshot({ a: 100 });
    s.clusters = [{ name: 'a', value: { name: 'a', type: 'EDS', connect_timeout: '1s' } }];
    expect(consistencyProblems(s)).toEqual([]);
  });

  it('only EDS clusters need a ClusterLoadAssignment', () => {
    const s = snapshot();
    s.clusters.push({ name: 'passthrough', value: { name: 'passthrough', type: 'ORIGINAL_DST', connect_timeout: '1s', lb_policy: 'CLUSTER_PROVIDED' } });
    expect(consistencyProblems(s)).toEqual([]);
  });

  it('reads RDS names anywhere in a listener, past null fields', () => {
    const s = snapshot();
    s.listeners = [{ name: 'http', value: { ...listener('http', 'routes'), metadata: null, per_connection_buffer_limit_bytes: 1024 } }];
    expect(consistencyProblems(s)).toEqual([]);
  });

  it('setSnapshots publishes nothing when one snapshot is inconsistent', () => {
    const cache = new SnapshotCache();
    const bad = snapshot({ a: 100 }, 'p2');
    bad.endpoints = [];
    expect(() => cache.setSnapshots([snapshot(), bad])).toThrow(InconsistentSnapshotError);
    expect(cache.proxies()).toEqual([]);
  });
});

describe('watchers', () => {
  it('hear every snapshot of their proxy until they unsubscribe', () => {
    const cache = new SnapshotCache();
    const heard: string[] = [];
    const stop = cache.watch('p1', (c) => heard.push(c.types.routes.version));
    cache.setSnapshot('p2', snapshot({ a: 1 }, 'p2'));
    const v1 = cache.setSnapshot('p1', snapshot({ a: 1 })).types.routes.version;
    stop();
    cache.setSnapshot('p1', snapshot({ a: 2 }));
    expect(heard).toEqual([v1]);
  });

  it('of one proxy all hear it; one unsubscribing leaves the others (an old ADS stream closing after its replacement subscribed)', () => {
    const cache = new SnapshotCache();
    const old: string[] = [];
    const replacement: string[] = [];
    const stopOld = cache.watch('p1', (c) => old.push(c.types.routes.version));
    cache.watch('p1', (c) => replacement.push(c.types.routes.version));
    const v1 = cache.setSnapshot('p1', snapshot({ a: 1 })).types.routes.version;
    stopOld();
    const v2 = cache.setSnapshot('p1', snapshot({ a: 2 })).types.routes.version;
    expect(old).toEqual([v1]);
    expect(replacement).toEqual([v1, v2]);
  });

  it('an unsubscribe called again, after the last watcher left and a new one came, leaves the new one', () => {
    const cache = new SnapshotCache();
    const stop = cache.watch('p1', () => {});
    stop();
    const heard: string[] = [];
    cache.watch('p1', (c) => heard.push(c.proxy));
    stop();
    cache.setSnapshot('p1', snapshot());
    expect(heard).toEqual(['p1']);
  });
});

describe('the cache', () => {
  it('lists the proxies with a snapshot, sorted, and forgets a cleared one', () => {
    const cache = new SnapshotCache();
    for (const p of ['p3', 'p1', 'p2']) cache.setSnapshot(p, snapshot({ a: 1 }, p));
    cache.clearSnapshot('p2');
    expect(cache.proxies()).toEqual(['p1', 'p3']);
    expect(cache.getSnapshot('p2')).toBeUndefined();
  });
});
