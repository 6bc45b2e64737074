// IST0145 ConflictingGateways: two Gateways that select the same pods (the same selector, or
// selectors a pod of the mesh matches both) have a server on the same port with a host in common
// (and the same bind): which one serves it is undefined. Reported on each of them, at the server.
import type { CheckContext } from '../context.ts';
import { valueAt } from '../position.ts';
import { IST } from './codes.ts';
import { selectorText, selects, workloadLabels } from './workloads.ts';

export function analyzeConflictingGateways(ctx: CheckContext): void {
  const pods = workloadLabels(ctx.services);
  const overlap = (a: Record<string, string>, b: Record<string, string>) =>
    selectorText(a) === selectorText(b) || pods.some((labels) => selects(a, labels) && selects(b, labels));
  for (const { item: gateway, source } of ctx.gateways) {
    const selector = gateway.spec.selector ?? {};
    gateway.spec.servers.forEach((server, i) => {
      const others = ctx.gateways.filter(({ item: other }) =>
        other.key !== gateway.key && overlap(selector, other.spec.selector ?? {}) &&
        other.spec.servers.some((s) => s.port.number === server.port.number && (s.bind ?? '') === (server.bind ?? '') && s.hosts.some((h) => server.hosts.includes(h))));
      if (others.length === 0) return;
      const names = others.map((o) => o.item.key).sort();
      ctx.report('error', valueAt(source, ['spec', 'servers', i, 'port', 'number']),
        `Conflict with gateways ${names.join(',')} (workload selector ${selectorText(selector)}, port ${server.port.number}, hosts ${server.hosts.join(',')}).`,
        'serve each host and port from one Gateway: merge the servers, or give them other hosts', IST.ConflictingGateways);
    });
  }
}
