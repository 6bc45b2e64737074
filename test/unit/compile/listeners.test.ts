import { describe, expect, it } from 'vitest';
import { compile, filterConfig, listener, proxy, REVIEWS_SUBSETS, routeConfig } from './compile-helpers.ts';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP = 'envoy.filters.network.tcp_proxy';

const GATEWAY = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shop-gateway}
spec:
  servers:
  - port: {number: 80, name: http-80, protocol: HTTP}
    hosts: ["*.example.com", "shop.local"]
  - port: {number: 443, name: https-443, protocol: HTTPS}
    hosts: ["*"]
    tls: {mode: SIMPLE, credentialName: shop-cert}
  - port: {number: 5432, name: tcp-5432, protocol: TCP}
    hosts: ["*"]
`;

describe('sidecar listeners (Compose: transparent capture)', () => {
  it('outbound: original destination, HTTP ports to the RDS `outbound` routes, the rest passes through', () => {
    const l = listener(proxy(compile([]), 'reviews-v1'), 'outbound');
    expect(l.address).toEqual({ socket_address: { address: '0.0.0.0', port_value: 15001 } });
    expect(l.use_original_dst).toBe(true);
    expect(l.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.original_dst']);
    expect(l.filter_chains.map((c: any) => c.filter_chain_match)).toEqual([
      { destination_port: 80 },
      { destination_port: 9080 },
      { destination_port: 9090 },
    ]);
    const hcm = filterConfig(l.filter_chains[0].filters, HCM);
    expect(hcm.rds).toEqual({ route_config_name: 'outbound', config_source: { ads: {}, resource_api_version: 'V3' } });
    expect(hcm.http_filters.map((f: any) => f.name)).toEqual(['envoy.filters.http.cors', 'envoy.filters.http.fault', 'envoy.filters.http.router']);
    expect(filterConfig(l.default_filter_chain.filters, TCP)).toMatchObject({ cluster: 'PassthroughCluster' });
  });

  it('a tcp service port: an unbound listener on its port, reached from `outbound` by original destination', () => {
    const l = listener(proxy(compile([]), 'reviews-v1'), 'outbound_tcp|5432|db.default.svc.cluster.local');
    expect(l).toMatchObject({ address: { socket_address: { address: '0.0.0.0', port_value: 5432 } }, bind_to_port: false });
    expect(filterConfig(l.filter_chains[0].filters, TCP)).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      stat_prefix: 'outbound_tcp|5432|db.default.svc.cluster.local',
      cluster: 'outbound|5432||db.default.svc.cluster.local',
    });
  });

  it('VirtualService tcp routes with weights → tcp_proxy weighted_clusters', () => {
    const c = compile([
      `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: db}
spec:
  hosts: [db]
  tcp:
  - route:
    - {destination: {host: db, subset: v1}, weight: 90}
    - {destination: {host: db, subset: v2}, weight: 10}`,
    ]);
    const l = listener(proxy(c, 'reviews-v1'), 'outbound_tcp|5432|db.default.svc.cluster.local');
    expect(filterConfig(l.filter_chains[0].filters, TCP).weighted_clusters).toEqual({
      clusters: [
        { name: 'outbound|5432|v1|db.default.svc.cluster.local', weight: 90 },
        { name: 'outbound|5432|v2|db.default.svc.cluster.local', weight: 10 },
      ],
    });
  });

  it('inbound: one listener on 15006, a chain per service port by original destination port', () => {
    const l = listener(proxy(compile([]), 'ratings-v1'), 'inbound_15006');
    expect(l.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.original_dst']);
    expect(l.filter_chains.map((c: any) => [c.filter_chain_match, c.filters[0].name])).toEqual([
      [{ destination_port: 9080 }, HCM],
      [{ destination_port: 9090 }, HCM],
    ]);
    const hcm = filterConfig(l.filter_chains[0].filters, HCM);
    expect(hcm.stat_prefix).toBe('inbound_9080');
    expect(hcm.route_config.virtual_hosts[0].routes[0].route.cluster).toBe('inbound|9080||');
    const db = listener(proxy(compile([]), 'db-v1'), 'inbound_15006');
    expect(filterConfig(db.filter_chains[0].filters, TCP)).toMatchObject({ cluster: 'inbound|5432||' });
  });

  it('admin, stats and health listeners are not part of the snapshot', () => {
    expect(proxy(compile([]), 'reviews-v1').listeners.map((l) => l.name)).toEqual([
      'inbound_15006',
      'outbound',
      'outbound_tcp|5432|db.default.svc.cluster.local',
    ]);
  });
});

describe('sidecar listeners (loopback: no capture)', () => {
  it('outbound is an HTTP proxy on its own port that also accepts CONNECT, with a tunnel listener behind it', () => {
    const s = proxy(compile([], 'loopback'), 'reviews-v1');
    const l = listener(s, 'outbound');
    expect(l.use_original_dst).toBeUndefined();
    expect(l.address.socket_address.address).toBe('127.0.0.1');
    expect(filterConfig(l.filter_chains[0].filters, HCM).upgrade_configs).toEqual([{ upgrade_type: 'websocket' }, { upgrade_type: 'CONNECT' }]);
    const tunnel = listener(s, 'outbound_tunnel');
    expect(tunnel.internal_listener).toEqual({});
    expect(filterConfig(tunnel.filter_chains[0].filters, HCM).rds.route_config_name).toBe('outbound');
  });

  it('every inbound service port has a listener of its own, without original destination', () => {
    const s = proxy(compile([], 'loopback'), 'ratings-v1');
    const inbound = s.listeners.filter((l) => l.name.startsWith('inbound_')).map((l) => l.value as any);
    expect(inbound).toHaveLength(2);
    for (const l of inbound) {
      expect(l.listener_filters).toBeUndefined();
      expect(l.filter_chains).toHaveLength(1);
    }
  });

  it('a tcp service port gets a bound local listener at tcpOutboundPort', () => {
    const l = listener(proxy(compile([], 'loopback'), 'reviews-v1'), 'outbound_tcp|5432|db.default.svc.cluster.local');
    expect(l.bind_to_port).toBeUndefined();
    expect(l.address.socket_address.port_value).toBeGreaterThanOrEqual(30000);
  });
});

describe('gateway', () => {
  const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: ["shop.example.com", "other.org"]
  gateways: [shop-gateway]
  http:
  - match: [{uri: {prefix: /reviews}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - route: [{destination: {host: productpage}}]
  tcp:
  - match: [{port: 5432}]
    route: [{destination: {host: db}}]
---
# Istio rejects "*" beside other hosts of one VirtualService (they overlap): the catch-all is its own.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop-any}
spec:
  hosts: ["*"]
  gateways: [shop-gateway]
  http:
  - route: [{destination: {host: productpage}}]`;

  it('one listener per server port with RDS http.PORT (https.PORT.… behind TLS); tcp servers → tcp_proxy', () => {
    const s = proxy(compile([REVIEWS_SUBSETS, GATEWAY, vs]), 'mesh-gateway');
    expect(s.listeners.map((l) => l.name)).toEqual(['gateway_443', 'gateway_5432', 'gateway_80']);
    const https = listener(s, 'gateway_443').filter_chains[0];
    expect(filterConfig(https.filters, HCM).rds.route_config_name).toBe('https.443.https-443.shop-gateway.default');
    expect(https.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name).toBe('kubernetes://shop-cert');
    const http = listener(s, 'gateway_80');
    expect(http.address).toEqual({ socket_address: { address: '0.0.0.0', port_value: 80 } });
    expect(filterConfig(http.filter_chains[0].filters, HCM).rds.route_config_name).toBe('http.80');
    expect(filterConfig(listener(s, 'gateway_5432').filter_chains[0].filters, TCP).cluster).toBe('outbound|5432||db.default.svc.cluster.local');
  });

  it('virtual hosts: VirtualService hosts intersected with the server hosts', () => {
    const s = proxy(compile([REVIEWS_SUBSETS, GATEWAY, vs]), 'mesh-gateway');
    const hosts = routeConfig(s, 'http.80').virtual_hosts;
    expect(hosts.map((h: any) => [h.name, h.domains])).toEqual([
      ['*.example.com:80', ['*.example.com', '*.example.com:80']],
      ['shop.example.com:80', ['shop.example.com', 'shop.example.com:*']],
      ['shop.local:80', ['shop.local', 'shop.local:*']],
    ]);
    expect(hosts[1].routes.map((r: any) => r.route.cluster)).toEqual([
      'outbound|9080|v2|reviews.default.svc.cluster.local',
      'outbound|80||productpage.default.svc.cluster.local',
    ]);
  });

  it('routes bound only to a gateway stay out of the sidecars', () => {
    const c = compile([REVIEWS_SUBSETS, GATEWAY, vs]);
    const hosts = routeConfig(proxy(c, 'reviews-v1'), 'outbound').virtual_hosts;
    const reviews = hosts.find((h: any) => h.name === 'reviews.default.svc.cluster.local:9080');
    expect(reviews.routes.map((r: any) => r.name)).toEqual(['default']);
  });

  it('gets every outbound cluster but no inbound or passthrough cluster', () => {
    const names = proxy(compile([REVIEWS_SUBSETS, GATEWAY, vs]), 'mesh-gateway').clusters.map((c) => c.name);
    expect(names.every((n) => n.startsWith('outbound|'))).toBe(true);
  });
});

describe('gateway TCP servers', () => {
  const TCP_GW = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: db-gateway}
spec:
  servers: [{port: {number: 5432, name: tcp-5432, protocol: TCP}, hosts: ["*"]}]`;
  const dbVs = (name: string, gateways: string, tcp: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [db]${gateways}
  tcp:
${tcp}`;
  const DB_SUBSETS = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: db}
spec:
  host: db
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]`;
  const gatewayTcp = (...docs: string[]) => {
    const s = proxy(compile([DB_SUBSETS, TCP_GW, ...docs]), 'mesh-gateway');
    return s.listeners.map((l) => [l.name, filterConfig((l.value as any).filter_chains[0].filters, TCP).cluster]);
  };

  it('a mesh-only VirtualService is not exposed on the ingress: no bound VirtualService, no listener', () => {
    expect(gatewayTcp(dbVs('db', '', '  - route: [{destination: {host: db, subset: v2}}]'))).toEqual([]);
  });

  it('per match: `gateways` and `sourceLabels` say where a TCP route applies', () => {
    const listeners = gatewayTcp(
      dbVs('db', '\n  gateways: [db-gateway, mesh]', `  - match: [{sourceLabels: {app: reviews}}]
    route: [{destination: {host: db, subset: v1}}]
  - match: [{gateways: [mesh]}]
    route: [{destination: {host: db, subset: v1}}]
  - match: [{gateways: [db-gateway]}]
    route: [{destination: {host: db, subset: v2}}]`),
    );
    expect(listeners).toEqual([['gateway_5432', 'outbound|5432|v2|db.default.svc.cluster.local']]);
  });
});
