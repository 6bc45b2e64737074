import { describe, expect, it } from 'vitest';
import { RESOURCE_KINDS, type ResourceKind } from '../../../src/envoy/snapshot.ts';
import { InconsistentSnapshotError, SnapshotCache, type CachedSnapshot } from '../../../src/xds/cache.ts';
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
});
