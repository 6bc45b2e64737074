// ClusterLoadAssignments: where the instances of a cluster are. EDS resources for IP endpoints;
// clusters on DNS names embed the same assignment and resolve it themselves (STRICT_DNS).
import { isIP } from 'node:net';
import type { ServiceModel, VersionModel } from '../config/model.ts';
import type { Addressing, SocketAddress } from './addressing.ts';
import { socketAddress } from './envoy-json.ts';
import type { EnvoyJson } from '../envoy/snapshot.ts';

/** The versions a subset selects: those whose labels include all of the subset's labels. */
export function subsetVersions(service: ServiceModel, labels: Record<string, string> | undefined): VersionModel[] {
  const wanted = Object.entries(labels ?? {});
  return service.versions.filter((v) => wanted.every(([k, val]) => v.labels[k] === val));
}

export function versionEndpoints(
  addressing: Addressing,
  service: ServiceModel,
  versions: readonly VersionModel[],
  port: number,
): SocketAddress[] {
  return versions.flatMap((v) => addressing.endpoints(service.name, v.name, port));
}

/** True when every address is an IP, so the cluster can take its endpoints over EDS. */
export function allIps(addresses: readonly SocketAddress[]): boolean {
  return addresses.every((a) => isIP(a.address) !== 0);
}

export function loadAssignment(clusterName: string, addresses: readonly SocketAddress[]): EnvoyJson {
  return {
    cluster_name: clusterName,
    endpoints:
      addresses.length === 0
        ? []
        : [{ lb_endpoints: addresses.map((a) => ({ endpoint: { address: socketAddress(a.address, a.port) } })) }],
  };
}
