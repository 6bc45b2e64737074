// The shape of translation: a proxy kind names its proxies in a mesh and has one generator per
// resource type. compileMesh (index.ts) runs every proxy kind it lists; a new proxy kind is a new
// module and one entry there, and a new resource type (a kind in src/envoy/snapshot.ts) is one
// more generator in each proxy kind, which the type below asks for.
import type { MeshModel } from '../config/model.ts';
import type { ProxySnapshot, Resource, ResourceKind } from '../envoy/snapshot.ts';
import type { Addressing } from './addressing.ts';
import type { ClusterSet } from './clusters.ts';
import type { CompileMemo } from './memo.ts';

/** What every generator of one compile sees. */
export interface CompileInput {
  model: MeshModel;
  addressing: Addressing;
  /** Every outbound cluster of the mesh and its endpoints, built once for all proxies. */
  outbound: ClusterSet;
  /**
   * What the last compile built, for the pieces whose key names all they read besides the base
   * (memo.ts); a fresh memo for a compile without one.
   */
  memo: CompileMemo;
  /**
   * The input as the sidecars of one namespace see the mesh (config/namespace-view.ts): this
   * input itself where they see all of it.
   */
  inNamespace(namespace: string): CompileInput;
}

/** How a snapshot names its proxy. */
export type ProxyIdentity = Pick<ProxySnapshot, 'proxy' | 'service' | 'version'>;

export interface ProxyKind<P extends { id: ProxyIdentity }> {
  kind: ProxySnapshot['kind'];
  /** The proxies of this kind in a mesh, each with what its generators need. */
  proxies(input: CompileInput): P[];
  /**
   * One generator per resource type, made once per compile so that the generators can build a
   * resource once and give the same object to every proxy it is equal for.
   */
  generators(input: CompileInput): Record<ResourceKind, (proxy: P) => Resource[]>;
}

/** The one value for a key, built on first use. */
export function shared<T>(cache: Map<string, T>, key: string, build: () => T): T {
  let value = cache.get(key);
  if (value === undefined) {
    value = build();
    cache.set(key, value);
  }
  return value;
}
