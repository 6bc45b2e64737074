// Gateways checked together: one protocol per port across every Gateway (they share the one
// ingress gateway), and each VirtualService bound to a Gateway names a host one of its servers serves.
import type { CheckContext } from './context.ts';
import { resolveHost, type SourceRef } from './model.ts';
import { valueAt } from './position.ts';
import { formatRef } from './report.ts';

/** Istio host matching: equal, or one is a wildcard (`*`, `*.example.com`) covering the other. */
export function hostsMatch(a: string, b: string): boolean {
  const covers = (pattern: string, host: string) =>
    pattern === '*' || pattern === host || (pattern.startsWith('*.') && host.endsWith(pattern.slice(1)));
  return covers(a, b) || covers(b, a);
}

/** A server host is `[NAMESPACE/]HOST`; `./` and `*\/` name the namespace. */
function serverHost(host: string): string {
  const slash = host.indexOf('/');
  return slash >= 0 ? host.slice(slash + 1) : host;
}

function checkPorts(ctx: CheckContext): void {
  const first = new Map<number, { protocol: string; at: SourceRef; gateway: string }>();
  for (const { item: gateway, source } of ctx.gateways) {
    gateway.spec.servers.forEach((server, i) => {
      const { number, protocol } = server.port;
      const at = valueAt(source, ['spec', 'servers', i, 'port', 'protocol']);
      const previous = first.get(number);
      if (!previous) first.set(number, { protocol, at, gateway: gateway.key });
      else if (previous.protocol !== protocol) {
        ctx.report('error', at, `port ${number} is ${protocol} here but ${previous.protocol} in Gateway ${previous.gateway}; a port has one protocol`,
          `the other server is at ${formatRef(previous.at)}; use another port number for one of them`);
      }
    });
  }
}

function checkBoundHosts(ctx: CheckContext): void {
  for (const { item: vs, source } of ctx.virtualServices) {
    for (const key of vs.gateways) {
      const gateway = ctx.gateways.find((g) => g.item.key === key)?.item;
      if (!gateway) continue;
      const served = gateway.spec.servers.flatMap((s) => s.hosts.map(serverHost));
      // A short name such as `productpage` stands for the service's fqdn, which a server may list.
      const names = (host: string) => [host, resolveHost(ctx.services, host, vs.namespace)?.fqdn ?? host];
      const matched = vs.spec.hosts.some((h) => names(h).some((n) => served.some((s) => hostsMatch(n, s))));
      if (!matched) {
        ctx.report('warning', valueAt(source, ['spec', 'hosts']),
          `none of the hosts of VirtualService ${vs.name} (${vs.spec.hosts.join(', ')}) is served by Gateway ${gateway.key}, so the gateway never uses it`,
          `the Gateway's servers serve ${served.join(', ')}`);
      }
    }
  }
}

export function checkGateways(ctx: CheckContext): void {
  checkPorts(ctx);
  checkBoundHosts(ctx);
}
