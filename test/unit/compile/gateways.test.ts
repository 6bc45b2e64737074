// Gateway proxies: one per Gateway selector, each with only its Gateways' ports, hosts and routes;
// HTTPS servers terminate TLS with SDS secrets named as Istio names them; httpsRedirect; TLS
// passthrough by SNI from VirtualService tls routes; and the addressing and identity of each.
import { describe, expect, it } from 'vitest';
import { gatewayProxies } from '../../../src/config/gateway-proxies.ts';
import { gatewayHostPorts } from '../../../src/config/model.ts';
import { loopbackAddressing } from '../../../src/compile/addressing.ts';
import { gatewaySecretName, parseGatewaySecret, type GatewaySecret } from '../../../src/compile/names.ts';
import { proxySpiffeId } from '../../../src/control/secrets.ts';
import { referencedSecrets } from '../../../src/xds/cache.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { compile, filterConfig, listener, MESH, model, proxy, REVIEWS_SUBSETS, routeConfig } from './compile-helpers.ts';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP = 'envoy.filters.network.tcp_proxy';

const gateway = (name: string, selector: string, servers: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}}
spec:
  selector: ${selector}
  servers:
${servers}`;

const route = (name: string, hosts: string, gateways: string, host: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: ${hosts}
  gateways: ${gateways}
  http:
  - route: [{destination: {host: ${host}}}]
`;

const INGRESS = gateway('public', '{istio: ingressgateway}', `  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com]
`);
const EGRESS = gateway('egress', '{istio: egressgateway}', `  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [api.example.com]
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: [api.example.com]
    tls: {mode: PASSTHROUGH}
`);

describe('gateway proxies by selector', () => {
  const docs = [INGRESS, EGRESS, route('shop', '[shop.example.com]', '[public]', 'productpage'), route('api', '[api.example.com]', '[egress]', 'reviews')];

  it('gives each selector its own proxy, node id and identity; the ingress gateway keeps its name', () => {
    const m = model(...docs);
    expect(gatewayProxies(m.gateways).map((g) => [g.proxy, g.gateways, g.namespace, g.serviceAccount])).toEqual([
      ['mesh-gateway', ['default/public'], 'istio-system', 'istio-ingressgateway-service-account'],
      ['mesh-gateway-egressgateway', ['default/egress'], 'istio-system', 'istio-egressgateway-service-account'],
    ]);
    expect(proxySpiffeId(m, { proxy: 'mesh-gateway-egressgateway' })).toBe('spiffe://cluster.local/ns/istio-system/sa/istio-egressgateway-service-account');
    expect(proxySpiffeId(m, { proxy: 'mesh-gateway' })).toBe('spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account');
    const c = compile(docs);
    expect(c.snapshots.filter((s) => s.kind === 'gateway').map((s) => s.proxy)).toEqual(['mesh-gateway', 'mesh-gateway-egressgateway']);
  });

  it('a Gateway with no selector, or one selecting the ingress pods by app label, is the ingress gateway\'s', () => {
    const none = gateway('a', '{}', '  - {port: {number: 81, name: h, protocol: HTTP}, hosts: ["*"]}\n');
    const byApp = gateway('b', '{app: istio-ingressgateway}', '  - {port: {number: 82, name: h, protocol: HTTP}, hosts: ["*"]}\n');
    const other = gateway('c', '{app: my-gateway, tier: edge}', '  - {port: {number: 83, name: h, protocol: HTTP}, hosts: ["*"]}\n');
    const m = model(none, byApp, other);
    expect(gatewayProxies(m.gateways).map((g) => [g.proxy, g.gateways, g.namespace, g.serviceAccount])).toEqual([
      ['mesh-gateway', ['default/a', 'default/b'], 'istio-system', 'istio-ingressgateway-service-account'],
      ['mesh-gateway-my-gateway-edge', ['default/c'], 'default', 'my-gateway-edge-service-account'],
    ]);
  });

  it("serves only its own Gateways' ports and hosts: a VirtualService reaches only the proxy its Gateway selects", () => {
    const c = compile(docs);
    const ingress = proxy(c, 'mesh-gateway');
    const egress = proxy(c, 'mesh-gateway-egressgateway');
    expect(ingress.listeners.map((l) => l.name)).toEqual(['gateway_80']);
    expect(egress.listeners.map((l) => l.name)).toEqual(['gateway_80']); // no tls route yet: no 443 listener
    expect(routeConfig(ingress, 'http.80').virtual_hosts.map((h: any) => h.name)).toEqual(['shop.example.com:80']);
    expect(routeConfig(egress, 'http.80').virtual_hosts.map((h: any) => h.name)).toEqual(['api.example.com:80']);
  });

  it('takes a loopback port of its own for each server port, and (not an egress gateway) is published on the host where the number is free', () => {
    const m = model(...docs);
    const addressing = loopbackAddressing(m, 30000);
    expect(addressing.gatewayPort(80)).not.toBe(addressing.gatewayPort(80, 'mesh-gateway-egressgateway'));
    expect([...addressing.ports.keys()].filter((k) => k.startsWith('gateway'))).toEqual([
      'gateway 80', 'gateway mesh-gateway-egressgateway 80', 'gateway mesh-gateway-egressgateway 443',
    ]);
    // The egress gateway is reached inside the mesh only.
    expect(gatewayHostPorts(m)).toEqual([{ proxy: 'mesh-gateway', serverPort: 80, hostPort: 80, protocol: 'HTTP' }]);
    const edge = gateway('edge', '{istio: edgegateway}', '  - {port: {number: 80, name: h, protocol: HTTP}, hosts: ["*"]}\n  - {port: {number: 81, name: h2, protocol: HTTP}, hosts: ["*"]}\n');
    expect(gatewayHostPorts(model(INGRESS, edge))).toEqual([
      { proxy: 'mesh-gateway', serverPort: 80, hostPort: 80, protocol: 'HTTP' },
      { proxy: 'mesh-gateway-edgegateway', serverPort: 81, hostPort: 81, protocol: 'HTTP' },
    ]);
  });
});

describe('HTTPS servers', () => {
  const https = (tls: string, hosts = '[shop.example.com]') =>
    gateway('public', '{istio: ingressgateway}', `  - port: {number: 443, name: https, protocol: HTTPS}\n    hosts: ${hosts}\n    tls: ${tls}\n`);
  const bound = route('shop', '[shop.example.com]', '[public]', 'productpage');
  const tlsContext = (tls: string) => {
    const chain = listener(proxy(compile([https(tls), bound]), 'mesh-gateway'), 'gateway_443').filter_chains[0];
    return chain.transport_socket.typed_config;
  };

  it('terminates TLS by SNI and routes by RDS https.PORT.PORTNAME.GATEWAY.NAMESPACE', () => {
    const s = proxy(compile([https('{mode: SIMPLE, credentialName: shop-cert}'), bound]), 'mesh-gateway');
    const l = listener(s, 'gateway_443');
    expect(l.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    expect(l.filter_chains[0].filter_chain_match).toEqual({ server_names: ['shop.example.com'] });
    expect(filterConfig(l.filter_chains[0].filters, HCM).rds.route_config_name).toBe('https.443.https.public.default');
    expect(routeConfig(s, 'https.443.https.public.default').virtual_hosts.map((h: any) => h.name)).toEqual(['shop.example.com:443']);
    expect([...referencedSecrets(s)]).toEqual(['kubernetes://shop-cert']);
  });

  it('names its secrets as Istio does: a credential, files, or a local certificate for its hosts; MUTUAL adds the CA', () => {
    expect(tlsContext('{mode: SIMPLE, credentialName: shop-cert}').common_tls_context.alpn_protocols).toEqual(['h2', 'http/1.1']);
    const files = tlsContext('{mode: MUTUAL, serverCertificate: c.pem, privateKey: k.pem, caCertificates: ca.pem}');
    expect(files.require_client_certificate).toBe(true);
    expect(files.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('file-cert:c.pem~k.pem');
    expect(files.common_tls_context.validation_context_sds_secret_config.name).toBe('file-root:ca.pem');
    const credential = tlsContext('{mode: MUTUAL, credentialName: shop-cert}');
    expect(credential.common_tls_context.validation_context_sds_secret_config.name).toBe('kubernetes://shop-cert-cacert');
    const local = tlsContext('{mode: SIMPLE}');
    expect(local.require_client_certificate).toBeUndefined();
    expect(local.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('local-cert:shop.example.com');
    expect(tlsContext('{mode: ISTIO_MUTUAL}').common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('default');
  });

  it('secret names read back', () => {
    const secrets: GatewaySecret[] = [
      { kind: 'credential', name: 'a', ca: false },
      { kind: 'credential', name: 'a', ca: true },
      { kind: 'file-cert', cert: '/etc/c.pem', key: 'k.pem' },
      { kind: 'file-root', ca: 'ca.pem' },
      { kind: 'local-cert', hosts: ['*', 'a.example.com'] },
    ];
    for (const s of secrets) expect(parseGatewaySecret(gatewaySecretName(s))).toEqual(s);
    expect(parseGatewaySecret('default')).toBeUndefined();
  });

  it('httpsRedirect: the server\'s hosts require TLS, with or without routes; other servers unchanged', () => {
    const redirect = gateway('public', '{istio: ingressgateway}', `  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com, old.example.com]
    tls: {httpsRedirect: true}
  - port: {number: 80, name: http-plain, protocol: HTTP}
    hosts: [plain.example.com]
`);
    const s = proxy(compile([redirect, bound, route('plain', '[plain.example.com]', '[public]', 'reviews')]), 'mesh-gateway');
    expect(routeConfig(s, 'http.80').virtual_hosts.map((h: any) => [h.name, h.require_tls, h.routes.length])).toEqual([
      ['old.example.com:80', 'ALL', 0],
      ['plain.example.com:80', undefined, 1],
      ['shop.example.com:80', 'ALL', 1],
    ]);
  });
});

describe('TLS servers', () => {
  const passthrough = gateway('public', '{istio: ingressgateway}', `  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
`);
  const tlsRoutes = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: sni}
spec:
  hosts: ["a.example.com", "b.example.com", "c.other.org"]
  gateways: [public]
  tls:
  - match: [{port: 443, sniHosts: [a.example.com]}, {port: 8443, sniHosts: [b.example.com]}]
    route: [{destination: {host: db, port: {number: 5432}}}]
  - match: [{sniHosts: [b.example.com, c.other.org]}]
    route: [{destination: {host: reviews, subset: v1}, weight: 80}, {destination: {host: reviews, subset: v2}, weight: 20}]
`;

  it('PASSTHROUGH: a chain per tls route match by SNI (the server hosts ∩ sniHosts), tcp_proxy to the route', () => {
    const l = listener(proxy(compile([REVIEWS_SUBSETS, passthrough, tlsRoutes]), 'mesh-gateway'), 'gateway_443');
    expect(l.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
    expect(l.filter_chains.map((c: any) => [c.filter_chain_match?.server_names, c.transport_socket])).toEqual([
      [['a.example.com'], undefined],
      [['b.example.com'], undefined],
    ]);
    expect(filterConfig(l.filter_chains[0].filters, TCP).cluster).toBe('outbound|5432||db.default.svc.cluster.local');
    expect(filterConfig(l.filter_chains[1].filters, TCP).weighted_clusters.clusters).toEqual([
      { name: 'outbound|9080|v1|reviews.default.svc.cluster.local', weight: 80 },
      { name: 'outbound|9080|v2|reviews.default.svc.cluster.local', weight: 20 },
    ]);
  });

  it('TLS with SIMPLE terminates and forwards by the tcp routes', () => {
    const simple = gateway('public', '{istio: ingressgateway}', `  - port: {number: 5433, name: tls, protocol: TLS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: db-cert}
`);
    const tcp = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: ["*"]
  gateways: [public]
  tcp:
  - route: [{destination: {host: db}}]
`;
    const chain = listener(proxy(compile([simple, tcp]), 'mesh-gateway'), 'gateway_5433').filter_chains[0];
    expect(chain.filter_chain_match).toBeUndefined();
    expect(chain.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('kubernetes://db-cert');
    expect(filterConfig(chain.filters, TCP).cluster).toBe('outbound|5432||db.default.svc.cluster.local');
  });
});

describe("a gateway proxy's in-mesh Service (the egress gateway hop)", () => {
  const egress = gateway('istio-egressgateway', '{istio: egressgateway}', `  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [reviews.default.svc.cluster.local]
`);
  const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-reviews}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets: [{name: reviews}]
`;
  const twoHop = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews-through-egress-gateway}
spec:
  hosts: [reviews.default.svc.cluster.local]
  gateways: [istio-egressgateway, mesh]
  http:
  - match: [{gateways: [mesh], port: 9080}]
    route: [{destination: {host: istio-egressgateway.istio-system.svc.cluster.local, subset: reviews, port: {number: 80}}}]
  - match: [{gateways: [istio-egressgateway], port: 80}]
    route: [{destination: {host: reviews, port: {number: 9080}}}]
`;

  it('sidecars route to istio-egressgateway.istio-system, whose clusters end at the egress gateway proxy; the gateway routes on', () => {
    const c = compile([egress, rule, twoHop], 'loopback');
    const sidecar = proxy(c, 'productpage-v1');
    const vhost = routeConfig(sidecar, 'outbound').virtual_hosts.find((h: any) => h.name === 'reviews.default.svc.cluster.local:9080');
    // (behind the CONNECT tunnel's route of the process runtime's HTTP-proxy mode)
    expect(vhost.routes.map((r: any) => r.route.cluster).at(-1)).toBe('outbound|80|reviews|istio-egressgateway.istio-system.svc.cluster.local');
    const m = model(egress, rule, twoHop);
    const listenPort = loopbackAddressing(m, 30000).gatewayPort(80, 'mesh-gateway-egressgateway');
    const endpoints = sidecar.endpoints.find((e) => e.name === 'outbound|80|reviews|istio-egressgateway.istio-system.svc.cluster.local')!.value as any;
    expect(endpoints.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: listenPort });
    const atGateway = routeConfig(proxy(c, 'mesh-gateway-egressgateway'), 'http.80').virtual_hosts;
    expect(atGateway.map((h: any) => [h.name, h.routes.map((r: any) => r.route.cluster)])).toEqual([
      ['reviews.default.svc.cluster.local:80', ['outbound|9080||reviews.default.svc.cluster.local']],
    ]);
  });

  it('without such a gateway no cluster is added; a wrong subset or port of the gateway Service is an error at its field', () => {
    expect(proxy(compile([]), 'reviews-v1').clusters.some((x) => x.name.includes('istio-egressgateway'))).toBe(false);
    const files = [MESH, egress, rule, twoHop.replace('subset: reviews,', 'subset: cnn,').replace('port: {number: 80}}}]', 'port: {number: 81}}}]')]
      .map((text, i) => ({ path: `f${i}.yaml`, text }));
    const errors = loadMeshFromSources(files).diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.line}:${d.col} ${d.message}`);
    expect(errors).toEqual([
      "9:94 subset 'cnn' of istio-egressgateway.istio-system.svc.cluster.local is not defined",
      '9:114 istio-egressgateway.istio-system.svc.cluster.local (mesh-gateway-egressgateway) does not serve port 81',
    ]);
  });
});

describe('mTLS to the egress gateway (DestinationRule ISTIO_MUTUAL on its Service)', () => {
  const egress = gateway('istio-egressgateway', '{istio: egressgateway}', `  - port: {number: 443, name: https, protocol: HTTPS}
    hosts: [reviews.default.svc.cluster.local]
    tls: {mode: ISTIO_MUTUAL}
`);
  const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: egressgateway-for-reviews}
spec:
  host: istio-egressgateway.istio-system.svc.cluster.local
  subsets:
  - name: reviews
    trafficPolicy:
      portLevelSettings:
      - port: {number: 443}
        tls: {mode: ISTIO_MUTUAL, sni: reviews.default.svc.cluster.local}
`;

  it("the sidecars' cluster to the gateway speaks mTLS with the rule's SNI; the gateway's server asks for the mesh's certificates", () => {
    const c = compile([egress, rule]);
    const cluster = proxy(c, 'reviews-v1').clusters.find((x) => x.name === 'outbound|443|reviews|istio-egressgateway.istio-system.svc.cluster.local')!.value as any;
    expect(cluster.transport_socket.typed_config.sni).toBe('reviews.default.svc.cluster.local');
    expect(cluster.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('default');
    const plain = proxy(c, 'reviews-v1').clusters.find((x) => x.name === 'outbound|443||istio-egressgateway.istio-system.svc.cluster.local')!.value as any;
    expect(plain.transport_socket).toBeUndefined();
    const server = listener(proxy(c, 'mesh-gateway-egressgateway'), 'gateway_443').filter_chains[0];
    expect(server.filter_chain_match.server_names).toEqual(['reviews.default.svc.cluster.local']);
    expect(server.transport_socket.typed_config.require_client_certificate).toBe(true);
    expect([...referencedSecrets(proxy(c, 'mesh-gateway-egressgateway'))].sort()).toEqual(['ROOTCA', 'default']);
  });
});
