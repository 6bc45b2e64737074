// IST0112 VirtualServiceDestinationPortSelectorRequired for the sidecars: a destination without a
// port to a service with several. Istio's analyzer reports it for every route; localmesh's
// validator already refuses it at a gateway (virtual-services.ts, with the same code), where no
// request port chooses one, so this covers the VirtualServices only the sidecars use.
import type { CheckContext } from '../context.ts';
import { resolveHost } from '../model.ts';
import { valueAt, type Path } from '../position.ts';
import { MESH_GATEWAY } from '../resources.ts';
import type { Destination } from '../schema/istio.ts';
import { IST } from './codes.ts';

export function analyzeDestinationPorts(ctx: CheckContext): void {
  for (const { item: vs, source } of ctx.virtualServices) {
    if (vs.gateways.some((g) => g !== MESH_GATEWAY)) continue;
    const check = (path: Path, destination: Destination | undefined) => {
      if (!destination || destination.port !== undefined) return;
      const service = resolveHost(ctx.services, destination.host, vs.namespace);
      if (!service || service.ports.length < 2) return;
      const ports = service.ports.map((p) => p.port);
      ctx.report('error', valueAt(source, path),
        `This VirtualService routes to a service "${destination.host}" that exposes multiple ports [${ports.join(' ')}]. Specifying a port in the destination is required to disambiguate.`,
        `add port: {number: ${ports[0]}} to the destination (a sidecar routes by the port called, but Istio requires it)`, IST.VirtualServiceDestinationPortSelectorRequired);
    };
    vs.spec.http?.forEach((http, i) => {
      http.route?.forEach((r, j) => check(['spec', 'http', i, 'route', j, 'destination'], r.destination));
      check(['spec', 'http', i, 'mirror'], http.mirror);
      http.mirrors?.forEach((m, j) => check(['spec', 'http', i, 'mirrors', j, 'destination'], m.destination));
    });
    vs.spec.tcp?.forEach((tcp, i) => tcp.route?.forEach((r, j) => check(['spec', 'tcp', i, 'route', j, 'destination'], r.destination)));
  }
}
