// The Gateway API in the mesh: Gateways and HTTPRoutes translated into the Istio resources of the
// model, as Istio itself reads them, with each mistake reported at the Gateway API field.
import type { CheckContext } from '../context.ts';
import type { ParsedResource } from '../kinds.ts';
import { resolveHost, type GatewayModel, type SourceRef, type VersionServiceModel, type VirtualServiceModel } from '../model.ts';
import { valueAt } from '../position.ts';
import { formatRef } from '../report.ts';
import { MESH_GATEWAY, type Located } from '../resources.ts';
import { translateGateways } from './gateways.ts';
import { translateRoutes } from './routes.ts';

export interface GatewayApiResources {
  gateways: Located<GatewayModel>[];
  virtualServices: Located<VirtualServiceModel>[];
}

/**
 * Sidecars take one set of routes per service: an HTTPRoute bound to a Service that a
 * VirtualService (or an earlier HTTPRoute) already routes for the sidecars is reported.
 */
function checkMeshClaims(ctx: CheckContext, routes: readonly Located<VirtualServiceModel>[]): void {
  const first = new Map<string, { what: string; at: SourceRef }>();
  for (const { item, source } of ctx.virtualServices) {
    if (!item.gateways.includes(MESH_GATEWAY)) continue;
    item.spec.hosts.forEach((host, i) => {
      const service = resolveHost(ctx.services, host, item.namespace);
      if (service && !first.has(service.fqdn)) first.set(service.fqdn, { what: `VirtualService ${item.name}`, at: valueAt(source, ['spec', 'hosts', i]) });
    });
  }
  for (const { item, source } of routes) {
    if (!item.gateways.includes(MESH_GATEWAY)) continue;
    const fqdn = item.services[0]!;
    const claimed = first.get(fqdn);
    const at = valueAt(source, ['spec', 'parentRefs']);
    if (claimed) {
      ctx.report('error', at, `${claimed.what} already routes ${fqdn.split('.')[0]} for the sidecars; localmesh takes one set of routes per service`,
        `the first is at ${formatRef(claimed.at)}; merge the rules into one HTTPRoute (or one VirtualService)`);
    } else first.set(fqdn, { what: `HTTPRoute ${item.name}`, at });
  }
}

export function translateGatewayApi(ctx: CheckContext, resources: readonly ParsedResource[], versionServices: readonly VersionServiceModel[]): GatewayApiResources {
  const gateways = translateGateways(ctx, resources);
  const virtualServices = translateRoutes(ctx, resources, gateways, versionServices);
  checkMeshClaims(ctx, virtualServices);
  return { gateways: gateways.gateways, virtualServices };
}
