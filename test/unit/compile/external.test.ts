// ServiceEntry hosts compiled as istiod builds them: a cluster per port whose type follows the
// resolution, a virtual host per HTTP port, TLS origination from a DestinationRule, and what a
// sidecar does with hosts the mesh does not know (the outbound traffic policy).
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { addressingFor, cluster, compile, listener, proxy, routeConfig, virtualHost, type AddressingKind } from './compile-helpers.ts';

const entry = (name: string, body: string) => `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: ${name}}
spec:
${body}`;

const STATIC = entry('api', `  hosts: [api.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}, {number: 443, name: https, protocol: HTTPS}]
  resolution: STATIC
  endpoints:
  - {address: 10.0.0.1, labels: {version: a}}
  - {address: 10.0.0.2, ports: {http: 8080}, labels: {version: b}, weight: 3}
`);

const DNS = entry('dns', `  hosts: [httpbin.org]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS
`);

const ROUND_ROBIN = entry('rr', `  hosts: [one.example.com]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: DNS_ROUND_ROBIN
  endpoints: [{address: backend.example.net}]
`);

const NONE = entry('any', `  hosts: ['*.wikipedia.org']
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: NONE
`);

/** reviews-v1's snapshot in a mesh whose Mesh document sets the outbound traffic policy. */
function withPolicy(mode: string, kind: AddressingKind = 'compose') {
  const { model } = loadMeshFromSources([{ path: 'mesh.yaml', text: policyMesh(mode) }]);
  return proxy(compileMesh(model!, addressingFor(model!, kind)), 'reviews-v1');
}

const policyMesh = (mode: string) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  settings: {outboundTrafficPolicy: {mode: ${mode}}}
  services:
    reviews:
      ports: [{port: 9080}]
      versions: {v1: {image: reviews:1}}
`;

describe('ServiceEntry clusters', () => {
  it('STATIC: an EDS cluster per port, the endpoints with their port (by port name), weight and labels', () => {
    const compiled = compile([STATIC]);
    const sidecar = proxy(compiled, 'reviews-v1');
    expect(cluster(sidecar, 'outbound|80||api.example.com')).toMatchObject({ type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } }, connect_timeout: '10s' });
    const endpoints = sidecar.endpoints.find((e) => e.name === 'outbound|80||api.example.com')!.value as any;
    expect(endpoints.endpoints[0].lb_endpoints).toEqual([
      { endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } }, metadata: { filter_metadata: { istio: { labels: { version: 'a' } } } } },
      { endpoint: { address: { socket_address: { address: '10.0.0.2', port_value: 8080 } } }, load_balancing_weight: 3, metadata: { filter_metadata: { istio: { labels: { version: 'b' } } } } },
    ]);
    expect(sidecar.endpoints.find((e) => e.name === 'outbound|443||api.example.com')).toBeDefined();
    // The gateway has every outbound cluster too (an egress gateway routes to them).
    expect(proxy(compiled, 'mesh-gateway').clusters.map((c) => c.name)).toContain('outbound|443||api.example.com');
  });

  it('DNS: STRICT_DNS resolving the host itself on its port when there are no endpoints', () => {
    expect(cluster(proxy(compile([DNS]), 'reviews-v1'), 'outbound|80||httpbin.org')).toMatchObject({
      type: 'STRICT_DNS',
      dns_lookup_family: 'V4_ONLY',
      load_assignment: { cluster_name: 'outbound|80||httpbin.org', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'httpbin.org', port_value: 80 } } } }] }] },
    });
  });

  it('DNS_ROUND_ROBIN: LOGICAL_DNS on its one endpoint', () => {
    expect(cluster(proxy(compile([ROUND_ROBIN]), 'reviews-v1'), 'outbound|80||one.example.com')).toMatchObject({
      type: 'LOGICAL_DNS',
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'backend.example.net', port_value: 80 } } } }] }] },
    });
  });

  it('NONE: ORIGINAL_DST with capture; without capture a dynamic forward proxy on the name the app asked for', () => {
    expect(cluster(proxy(compile([NONE]), 'reviews-v1'), 'outbound|443||*.wikipedia.org')).toMatchObject({ type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' });
    const loopback = cluster(proxy(compile([NONE], 'loopback'), 'reviews-v1'), 'outbound|443||*.wikipedia.org');
    expect(loopback).toMatchObject({ lb_policy: 'CLUSTER_PROVIDED', cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy' } });
    expect(loopback.type).toBeUndefined();
  });

  it('subsets of a DestinationRule select endpoints by their labels', () => {
    const rule = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
  subsets: [{name: b, labels: {version: b}}]
`;
    const sidecar = proxy(compile([STATIC, rule]), 'reviews-v1');
    const b = sidecar.endpoints.find((e) => e.name === 'outbound|80|b|api.example.com')!.value as any;
    expect(b.endpoints[0].lb_endpoints.map((e: any) => e.endpoint.address.socket_address.address)).toEqual(['10.0.0.2']);
  });
});

describe('TLS origination (DestinationRule tls.mode SIMPLE)', () => {
  const rule = (tls: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: api}
spec:
  host: api.example.com
  trafficPolicy:
    portLevelSettings:
    - port: {number: 443}
      tls: ${tls}
`;
  const socket = (tls: string) => {
    const files = [policyMesh('ALLOW_ANY'), STATIC, rule(tls)].map((text, i) => ({ path: `/work/mesh/f${i}.yaml`, text }));
    const { model } = loadMeshFromSources(files, '/work/mesh');
    return cluster(proxy(compileMesh(model!, addressingFor(model!, 'compose')), 'reviews-v1'), 'outbound|443||api.example.com').transport_socket;
  };

  it('speaks TLS with the host as SNI, checking the server against the CA file (in the mesh directory) and the host name', () => {
    expect(socket('{mode: SIMPLE, caCertificates: certs/ca.pem}')).toEqual({
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
        sni: 'api.example.com',
        common_tls_context: {
          validation_context: {
            trusted_ca: { filename: '/work/mesh/certs/ca.pem' },
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'api.example.com' } }],
          },
        },
      },
    });
    // Only the port the policy is for.
    expect(cluster(proxy(compile([STATIC, rule('{mode: SIMPLE}')]), 'reviews-v1'), 'outbound|80||api.example.com').transport_socket).toBeUndefined();
  });

  it('takes sni and subjectAltNames as given; without a CA file, the system CAs; insecureSkipVerify checks nothing', () => {
    const given = socket('{mode: SIMPLE, sni: other.example.com, subjectAltNames: [x.example.com]}').typed_config;
    expect(given.sni).toBe('other.example.com');
    expect(given.common_tls_context.validation_context).toEqual({
      trusted_ca: { filename: '/etc/ssl/certs/ca-certificates.crt' },
      match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'x.example.com' } }],
    });
    expect(socket('{mode: SIMPLE, insecureSkipVerify: true}').typed_config.common_tls_context).toEqual({});
    expect(socket('{mode: DISABLE}')).toBeUndefined();
  });
});

describe('ServiceEntry hosts in the sidecar routes', () => {
  it('an HTTP port is a virtual host (bare name on port 80) routed to its cluster; an HTTPS port only takes CONNECT tunnels', () => {
    const loopback = compile([STATIC], 'loopback');
    const http = virtualHost(loopback, 'api.example.com:80', 'reviews-v1');
    expect(http.domains).toEqual(['api.example.com', 'api.example.com:80']);
    expect(http.routes.map((r: any) => r.route.cluster)).toEqual(['outbound_tunnel', 'outbound|80||api.example.com']);
    const https = virtualHost(loopback, 'api.example.com:443', 'reviews-v1');
    expect(https).toMatchObject({ domains: ['api.example.com:443'], routes: [{ match: { connect_matcher: {} }, route: { cluster: 'outbound|443||api.example.com', upgrade_configs: [{ upgrade_type: 'CONNECT' }] } }] });
    // With capture, TLS is not routed by HTTP: only the HTTP port is a virtual host, and its port gets an HTTP chain.
    const compose = compile([STATIC]);
    expect(() => virtualHost(compose, 'api.example.com:443', 'reviews-v1')).toThrow(/no virtual host/);
    const chains = listener(proxy(compose, 'reviews-v1'), 'outbound').filter_chains.map((c: any) => c.filter_chain_match.destination_port);
    expect(chains).toContain(80);
  });

  it("a VirtualService for the host applies: its timeout, and its route to another port of the entry", () => {
    const vs = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: api}
spec:
  hosts: [api.example.com]
  http:
  - timeout: 3s
    route: [{destination: {host: api.example.com, port: {number: 443}}}]
`;
    const [route] = virtualHost(compile([STATIC, vs]), 'api.example.com:80', 'reviews-v1').routes;
    expect(route.route).toMatchObject({ cluster: 'outbound|443||api.example.com', timeout: '3s' });
  });
});

describe('the outbound traffic policy', () => {
  it('REGISTRY_ONLY with capture: unknown HTTP hosts get 502 (block_all), other TCP goes to BlackHoleCluster', () => {
    const sidecar = withPolicy('REGISTRY_ONLY');
    expect(routeConfig(sidecar, 'outbound').virtual_hosts.at(-1)).toEqual({
      name: 'block_all',
      domains: ['*'],
      routes: [{ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } }],
    });
    expect(listener(sidecar, 'outbound').default_filter_chain.filters[0].typed_config.cluster).toBe('BlackHoleCluster');
    expect(cluster(sidecar, 'BlackHoleCluster')).toEqual({ name: 'BlackHoleCluster', type: 'STATIC', connect_timeout: '10s' });
    expect(sidecar.clusters.map((c) => c.name)).not.toContain('PassthroughCluster');
  });

  it('REGISTRY_ONLY without capture: 502 for unknown hosts, inside a CONNECT tunnel too, and no passthrough cluster', () => {
    const sidecar = withPolicy('REGISTRY_ONLY', 'loopback');
    const [connect, block] = routeConfig(sidecar, 'outbound').virtual_hosts.at(-1).routes;
    expect(connect).toMatchObject({ match: { connect_matcher: {} }, route: { cluster: 'outbound_tunnel' } });
    expect(block).toEqual({ name: 'block_all', match: { prefix: '/' }, direct_response: { status: 502 } });
    expect(sidecar.clusters.map((c) => c.name)).not.toContain('PassthroughCluster');
  });

  it('ALLOW_ANY without capture: the dynamic forward proxy resolves the host in the outbound and tunnel chains', () => {
    const sidecar = withPolicy('ALLOW_ANY', 'loopback');
    expect(cluster(sidecar, 'PassthroughCluster')).toMatchObject({ lb_policy: 'CLUSTER_PROVIDED', cluster_type: { name: 'envoy.clusters.dynamic_forward_proxy' } });
    for (const name of ['outbound', 'outbound_tunnel']) {
      const filters = listener(sidecar, name).filter_chains[0].filters[0].typed_config.http_filters.map((f: any) => f.name);
      expect(filters.slice(-2)).toEqual(['envoy.filters.http.dynamic_forward_proxy', 'envoy.filters.http.router']);
    }
  });
});

describe('ServiceEntry ports with capture', () => {
  const TCP = entry('db', `  hosts: [db.example.com]
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  resolution: STATIC
  endpoints: [{address: 10.0.0.9}]
`);

  it("TLS ports are routed by SNI (a TLS inspector on those ports only) and TCP ports by the host's address, as istiod's outbound listener", () => {
    const outbound = listener(proxy(compile([STATIC, NONE, TCP]), 'reviews-v1'), 'outbound');
    const chains = outbound.filter_chains.filter((c: any) => c.filters[0].name === 'envoy.filters.network.tcp_proxy');
    expect(chains.map((c: any) => [c.filter_chain_match, c.filters[0].typed_config.cluster])).toEqual([
      [{ destination_port: 443, server_names: ['api.example.com'] }, 'outbound|443||api.example.com'],
      [{ destination_port: 443, server_names: ['*.wikipedia.org'] }, 'outbound|443||*.wikipedia.org'],
      [{ destination_port: 5432, prefix_ranges: [{ address_prefix: '240.240.0.2', prefix_len: 32 }] }, 'outbound|5432||db.example.com'],
    ]);
    expect(outbound.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.original_dst', 'envoy.filters.listener.tls_inspector']);
    expect(outbound.listener_filters[1].filter_disabled).toEqual({ not_match: { destination_port_range: { start: 443, end: 444 } } });
  });

  it('without ServiceEntries the outbound listener is as before: no inspector, HTTP chains only', () => {
    const outbound = listener(proxy(compile([]), 'reviews-v1'), 'outbound');
    expect(outbound.listener_filters.map((f: any) => f.name)).toEqual(['envoy.filters.listener.original_dst']);
  });
});

