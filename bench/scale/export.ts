// localmesh's compiled snapshots as one file for bench/go-control-plane: every distinct resource
// (by object: the compiler shares equal resources between proxies) once, in Envoy's JSON form,
// and per proxy and type the indices of its resources and a version that is a hash of their
// content, so a type whose resources did not change keeps its version (as in localmesh's cache).
import { createHash } from 'node:crypto';
import type { CompiledMesh } from '../../src/compile/index.ts';
import { RESOURCE_KINDS, type ResourceKind } from '../../src/envoy/snapshot.ts';

export interface SnapshotExport {
  version: string;
  resources: unknown[];
  proxies: Record<string, Record<ResourceKind, { version: string; resources: number[] }>>;
}

export function exportSnapshots(compiled: CompiledMesh, version: string): SnapshotExport {
  const index = new Map<unknown, { i: number; hash: string }>();
  const resources: unknown[] = [];
  const of = (value: unknown) => {
    let found = index.get(value);
    if (!found) {
      found = { i: resources.length, hash: createHash('sha1').update(JSON.stringify(value)).digest('hex') };
      index.set(value, found);
      resources.push(value);
    }
    return found;
  };
  const proxies: SnapshotExport['proxies'] = {};
  for (const snapshot of compiled.snapshots) {
    proxies[snapshot.proxy] = Object.fromEntries(
      RESOURCE_KINDS.map((kind) => {
        const items = snapshot[kind].map((r) => of(r.value));
        const hash = createHash('sha1').update(items.map((r) => r.hash).join(' ')).digest('hex').slice(0, 12);
        return [kind, { version: hash, resources: items.map((r) => r.i) }];
      }),
    ) as Record<ResourceKind, { version: string; resources: number[] }>;
  }
  return { version, resources, proxies };
}
