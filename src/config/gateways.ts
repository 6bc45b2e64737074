// Gateways: each as Istio validates it (its name, server hosts, unique port names, TLS settings
// where the protocol needs them and only there, bind addresses), then together: one protocol per
// port on each gateway proxy (HTTPS and TLS may share one), and each VirtualService bound to
// a Gateway names a host one of its servers serves.
import type { CheckContext } from './context.ts';
import { isDnsLabel, isIpAddress, serverHostProblem } from './dns.ts';
import { resolveHost, type GatewayModel, type SourceRef } from './model.ts';
import { keyAt, valueAt } from './position.ts';
import { formatRef } from './report.ts';
import type { Located } from './resources.ts';
import type { Server } from './schema/istio.ts';
import { IST } from './analyze/codes.ts';
import { gatewayProxies, gatewayProxyOf } from './gateway-proxies.ts';

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

/** HTTPS and TLS servers may share a port (the SNI picks the server); any other two protocols may not. */
const portFamily = (protocol: string) => (protocol === 'HTTPS' || protocol === 'TLS' ? 'TLS' : protocol);

function checkPorts(ctx: CheckContext): void {
  // A port has one protocol on each gateway proxy; Gateways of different selectors have proxies of their own.
  const proxies = gatewayProxies(ctx.gateways.map((g) => g.item));
  const first = new Map<string, { protocol: string; at: SourceRef; gateway: string }>();
  for (const { item: gateway, source } of ctx.gateways) {
    const proxy = gatewayProxyOf(proxies, gateway.key)?.proxy;
    gateway.spec.servers.forEach((server, i) => {
      const { number, protocol } = server.port;
      const at = valueAt(source, ['spec', 'servers', i, 'port', 'protocol']);
      const key = `${proxy} ${number}`;
      const previous = first.get(key);
      if (!previous) first.set(key, { protocol, at, gateway: gateway.key });
      else if (portFamily(previous.protocol) !== portFamily(protocol)) {
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
          `the Gateway's servers serve ${served.join(', ')}`, IST.VirtualServiceHostNotFoundInGateway);
      }
    }
  }
}

type Protocol = Server['port']['protocol'];
const TLS_PROTOCOLS: ReadonlySet<Protocol> = new Set(['HTTPS', 'TLS']);
const HTTP_PROTOCOLS: ReadonlySet<Protocol> = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY']);
/** What the gateway proxies serve (src/compile/gateway.ts); a server of another protocol gets no listener. */
const SERVED: ReadonlySet<Protocol> = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'TCP', 'MONGO', 'HTTPS', 'TLS']);
const CERTIFICATE_FIELDS = ['serverCertificate', 'privateKey', 'caCertificates', 'credentialName', 'credentialNames', 'tlsCertificates'] as const;
const UNIX = 'unix://';

function checkTls(ctx: CheckContext, { source }: Located<GatewayModel>, server: Server, at: readonly PropertyKey[]): void {
  const protocol = server.port.protocol;
  const tls = server.tls as Record<string, unknown> | undefined;
  if (TLS_PROTOCOLS.has(protocol)) {
    if (!tls) {
      ctx.report('error', keyAt(source, [...at, 'port']), `a ${protocol} server needs tls settings`,
        'add tls: {mode: SIMPLE, credentialName: NAME} (or mode: PASSTHROUGH for TLS)');
    }
    return;
  }
  if (!tls) return;
  const mode = tls.mode;
  const passThrough = mode === undefined || mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
  const certificates = ['serverCertificate', 'privateKey', 'caCertificates'].some((f) => tls[f] !== undefined);
  if (!HTTP_PROTOCOLS.has(protocol)) {
    ctx.report('error', keyAt(source, [...at, 'tls']), `a ${protocol} server cannot have tls settings; only HTTPS and TLS servers take them`);
  } else if (!passThrough || certificates) {
    ctx.report('error', keyAt(source, [...at, 'tls']), `a plain text ${protocol} server cannot have tls settings other than httpsRedirect`,
      'use protocol HTTPS for a server that terminates TLS');
  }
}

function checkTlsOptions(ctx: CheckContext, { source }: Located<GatewayModel>, server: Server, at: readonly PropertyKey[]): void {
  const tls = server.tls as Record<string, unknown> | undefined;
  if (!tls) return;
  const set = CERTIFICATE_FIELDS.filter((f) => tls[f] !== undefined);
  if (tls.mode === 'ISTIO_MUTUAL' && set.length > 0) {
    ctx.report('error', keyAt(source, [...at, 'tls', set[0]!]), `ISTIO_MUTUAL TLS cannot have ${set[0]}: the mesh's own certificates are used`);
  }
  // SIMPLE or MUTUAL without any certificate is localmesh's: the gateway serves a local one (control/credentials.ts).
  if ((tls.serverCertificate === undefined) !== (tls.privateKey === undefined)) {
    const given = tls.serverCertificate !== undefined ? 'serverCertificate' : 'privateKey';
    ctx.report('error', keyAt(source, [...at, 'tls', given]), `${given} needs ${given === 'privateKey' ? 'serverCertificate' : 'privateKey'} beside it`,
      'give both files, or credentialName, or neither for a local certificate');
  }
  if (tls.mode === 'AUTO_PASSTHROUGH' && TLS_PROTOCOLS.has(server.port.protocol)) {
    ctx.report('warning', keyAt(source, [...at, 'tls', 'mode']),
      `AUTO_PASSTHROUGH routes by the SNI names of another cluster's sidecars (outbound_.PORT_.SUBSET_.HOST), which a laptop has none of: the gateway does not serve this server`,
      'use mode: PASSTHROUGH with tls routes (VirtualService spec.tls, match.sniHosts) to pass TLS through by its SNI');
  }
}

function checkGateway(ctx: CheckContext, located: Located<GatewayModel>): void {
  const { item: gateway, source } = located;
  if (!isDnsLabel(gateway.name)) {
    ctx.report('error', valueAt(source, ['metadata', 'name']), `Gateway name '${gateway.name}' is not a DNS label`,
      'use lowercase letters, digits and -, e.g. my-gateway');
  }
  const names = new Map<string, number>();
  gateway.spec.servers.forEach((server, i) => {
    const at = ['spec', 'servers', i] as const;
    server.hosts.forEach((host, j) => {
      const problem = serverHostProblem(host);
      if (problem) ctx.report('error', valueAt(source, [...at, 'hosts', j]), problem, 'e.g. "*", "bookinfo.example.com", "*.example.com" or "ns/bookinfo.example.com"');
    });
    const first = names.get(server.port.name);
    if (first !== undefined) {
      ctx.report('error', valueAt(source, [...at, 'port', 'name']), `port name '${server.port.name}' is used by another server of Gateway ${gateway.name}; port names must be unique`,
        `the first is at ${formatRef(valueAt(source, ['spec', 'servers', first, 'port', 'name']))}`);
    } else {
      names.set(server.port.name, i);
    }
    if (server.port.targetPort !== undefined && server.port.targetPort > 0) {
      ctx.report('error', keyAt(source, [...at, 'port', 'targetPort']), 'targetPort has no effect on a Gateway', 'remove it; the server listens on port.number');
    }
    if (server.bind !== undefined) {
      if (server.bind.startsWith(UNIX)) {
        ctx.report('error', valueAt(source, [...at, 'bind']), `a unix domain socket bind needs port number 0, which a Gateway server here cannot have`);
      } else if (!isIpAddress(server.bind)) {
        ctx.report('error', valueAt(source, [...at, 'bind']), `bind '${server.bind}' is not an IP address`);
      }
    }
    checkTls(ctx, located, server, at);
    checkTlsOptions(ctx, located, server, at);
    if (!SERVED.has(server.port.protocol)) {
      ctx.report('warning', valueAt(source, [...at, 'port', 'protocol']),
        `${server.port.protocol} servers are not served by localmesh yet: the gateway does not listen on port ${server.port.number}`);
    }
  });
}

export function checkGateways(ctx: CheckContext): void {
  for (const located of ctx.gateways) checkGateway(ctx, located);
  checkPorts(ctx);
  checkBoundHosts(ctx);
}
