import { describe, expect, it } from 'vitest';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { cluster, compile, proxy, REVIEWS_SUBSETS } from './compile-helpers.ts';

const R = 'reviews.default.svc.cluster.local';

function reviewsRule(spec: string): string {
  return `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
${spec}`;
}

describe('cluster names and endpoints', () => {
  it('outbound|PORT||FQDN for all versions and outbound|PORT|SUBSET|FQDN per subset; inbound|PORT|| for the app', () => {
    const names = proxy(compile([REVIEWS_SUBSETS]), 'reviews-v1').clusters.map((c) => c.name);
    expect(names).toEqual([
      'PassthroughCluster',
      'inbound|9080||',
      'outbound|5432||db.default.svc.cluster.local',
      'outbound|80||productpage.default.svc.cluster.local',
      `outbound|9080|v1|${R}`,
      `outbound|9080|v2|${R}`,
      `outbound|9080|v3|${R}`,
      'outbound|9080||ratings.default.svc.cluster.local',
      `outbound|9080||${R}`,
      'outbound|9090||ratings.default.svc.cluster.local',
    ]); // sorted by code unit: '|' sorts after letters
  });

  it('DNS endpoints (Compose) → STRICT_DNS with the subset versions inline, no EDS resource', () => {
    const s = proxy(compile([REVIEWS_SUBSETS]), 'ratings-v1');
    expect(cluster(s, `outbound|9080|v2|${R}`)).toMatchObject({
      type: 'STRICT_DNS',
      dns_lookup_family: 'V4_ONLY',
      load_assignment: {
        cluster_name: `outbound|9080|v2|${R}`,
        endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: 'reviews-v2-proxy', port_value: 9080 } } } }] }],
      },
    });
    expect(s.endpoints).toEqual([]);
  });

  it('IP endpoints (loopback) → EDS over ADS plus a ClusterLoadAssignment of the same name', () => {
    const s = proxy(compile([REVIEWS_SUBSETS], 'loopback'), 'ratings-v1');
    expect(cluster(s, `outbound|9080||${R}`)).toMatchObject({
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' } },
    });
    const all = s.endpoints.find((e) => e.name === `outbound|9080||${R}`)!.value as any;
    expect(all.endpoints[0].lb_endpoints).toHaveLength(3);
    const v1 = s.endpoints.find((e) => e.name === `outbound|9080|v1|${R}`)!.value as any;
    expect(v1.endpoints[0].lb_endpoints).toHaveLength(1);
    expect(s.endpoints.map((e) => e.name)).toEqual(s.clusters.filter((c) => c.value['type'] === 'EDS').map((c) => c.name));
  });

  it('the inbound cluster points at the app; http2/grpc ports speak HTTP/2 upstream', () => {
    const s = proxy(compile([]), 'ratings-v1');
    expect(cluster(s, 'inbound|9080||')).toMatchObject({
      type: 'STATIC',
      load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 9080 } } } }] }] },
    });
    expect(cluster(s, 'inbound|9080||').typed_extension_protocol_options).toBeUndefined();
    const h2 = { explicit_http_config: { http2_protocol_options: {} } };
    expect(cluster(s, 'inbound|9090||').typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toMatchObject(h2);
    expect(
      cluster(s, 'outbound|9090||ratings.default.svc.cluster.local').typed_extension_protocol_options[
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions'
      ],
    ).toMatchObject(h2);
  });

  it('defaults: round robin, Istio circuit breaker maximums, 10s connect timeout', () => {
    expect(cluster(proxy(compile([]), 'reviews-v1'), `outbound|9080||${R}`)).toMatchObject({
      connect_timeout: '10s',
      lb_policy: 'ROUND_ROBIN',
      circuit_breakers: {
        thresholds: [{ max_connections: 4294967295, max_pending_requests: 4294967295, max_requests: 4294967295, max_retries: 4294967295, track_remaining: true }],
      },
    });
  });
});

describe('DestinationRule traffic policy', () => {
  it('simple load balancers; subset policy wins over the top level', () => {
    const s = proxy(
      compile([
        reviewsRule(`  trafficPolicy: {loadBalancer: {simple: RANDOM}}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {simple: LEAST_CONN}}}
  - {name: v2, labels: {version: v2}}`),
      ]),
      'reviews-v1',
    );
    expect(cluster(s, `outbound|9080||${R}`).lb_policy).toBe('RANDOM');
    expect(cluster(s, `outbound|9080|v1|${R}`).lb_policy).toBe('LEAST_REQUEST');
    expect(cluster(s, `outbound|9080|v2|${R}`).lb_policy).toBe('RANDOM');
  });

  it('consistent hash → RING_HASH (or MAGLEV)', () => {
    const s = proxy(
      compile([
        reviewsRule(`  trafficPolicy: {loadBalancer: {consistentHash: {useSourceIp: true, ringHash: {minimumRingSize: 2048}}}}
  subsets:
  - {name: v1, labels: {version: v1}, trafficPolicy: {loadBalancer: {consistentHash: {httpQueryParameterName: u, maglev: {tableSize: 65537}}}}}`),
      ]),
      'reviews-v1',
    );
    expect(cluster(s, `outbound|9080||${R}`)).toMatchObject({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: 2048 } });
    expect(cluster(s, `outbound|9080|v1|${R}`)).toMatchObject({ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: 65537 } });
  });

  it('connection pool → circuit breakers, connect timeout, keepalive, HTTP protocol options', () => {
    const c = cluster(
      proxy(
        compile([
          reviewsRule(`  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 10, connectTimeout: 250ms, tcpKeepalive: {probes: 3, time: 60s, interval: 10s}}
      http: {http1MaxPendingRequests: 5, http2MaxRequests: 20, maxRequestsPerConnection: 1, maxRetries: 2, idleTimeout: 30s}`),
        ]),
        'reviews-v1',
      ),
      `outbound|9080||${R}`,
    );
    expect(c.connect_timeout).toBe('0.25s');
    expect(c.circuit_breakers.thresholds[0]).toEqual({
      max_connections: 10,
      max_pending_requests: 5,
      max_requests: 20,
      max_retries: 2,
      track_remaining: true,
    });
    expect(c.upstream_connection_options).toEqual({ tcp_keepalive: { keepalive_probes: 3, keepalive_time: 60, keepalive_interval: 10 } });
    expect(c.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      common_http_protocol_options: { idle_timeout: '30s', max_requests_per_connection: 1 },
      explicit_http_config: { http_protocol_options: {} },
    });
  });

  it("outlier detection with Istio's mapping (enforcing 100%, success rate off, panic threshold from minHealthPercent)", () => {
    const s = proxy(
      compile([
        reviewsRule(`  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 3, consecutiveGatewayErrors: 0, interval: 5s, baseEjectionTime: 1m, maxEjectionPercent: 50, minHealthPercent: 20}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {outlierDetection: {consecutiveErrors: 2}}`),
      ]),
      'reviews-v1',
    );
    const top = cluster(s, `outbound|9080||${R}`);
    expect(top.outlier_detection).toEqual({
      enforcing_success_rate: 0,
      consecutive_5xx: 3,
      enforcing_consecutive_5xx: 100,
      consecutive_gateway_failure: 0,
      enforcing_consecutive_gateway_failure: 0,
      interval: '5s',
      base_ejection_time: '60s',
      max_ejection_percent: 50,
    });
    expect(top.common_lb_config).toEqual({ healthy_panic_threshold: { value: 20 } });
    expect(cluster(s, `outbound|9080|v1|${R}`).outlier_detection).toEqual({
      enforcing_success_rate: 0,
      consecutive_gateway_failure: 2,
      enforcing_consecutive_gateway_failure: 100,
      enforcing_consecutive_5xx: 0,
    });
  });

  it('portLevelSettings replace the top-level policy for their port (no inheritance); a subset still overrides', () => {
    const s = proxy(
      compile([
        `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ratings}
spec:
  host: ratings
  trafficPolicy:
    loadBalancer: {simple: RANDOM}
    connectionPool: {tcp: {maxConnections: 7}}
    portLevelSettings:
    - port: {number: 9090}
      loadBalancer: {simple: LEAST_REQUEST}
  subsets:
  - name: v1
    labels: {version: v1}
    trafficPolicy: {connectionPool: {tcp: {maxConnections: 3}}}`,
      ]),
      'reviews-v1',
    );
    const at = (name: string) => cluster(s, name);
    expect(at('outbound|9080||ratings.default.svc.cluster.local')).toMatchObject({ lb_policy: 'RANDOM' });
    expect(at('outbound|9080||ratings.default.svc.cluster.local').circuit_breakers.thresholds[0].max_connections).toBe(7);
    expect(at('outbound|9090||ratings.default.svc.cluster.local').lb_policy).toBe('LEAST_REQUEST');
    expect(at('outbound|9090||ratings.default.svc.cluster.local').circuit_breakers.thresholds[0].max_connections).toBe(4294967295);
    expect(at('outbound|9090|v1|ratings.default.svc.cluster.local')).toMatchObject({ lb_policy: 'LEAST_REQUEST' });
    expect(at('outbound|9090|v1|ratings.default.svc.cluster.local').circuit_breakers.thresholds[0].max_connections).toBe(3);
  });
});

describe('a Kubernetes targetPort', () => {
  it('is where the app cluster sends (Compose), under the service port', () => {
    const text = `apiVersion: v1
kind: Service
metadata: {name: httpbin}
spec:
  selector: {app: httpbin}
  ports: [{name: http, port: 8000, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: httpbin}
spec:
  selector: {matchLabels: {app: httpbin}}
  template:
    metadata: {labels: {app: httpbin, version: v1}}
    spec:
      containers: [{name: httpbin, image: httpbin:1, ports: [{containerPort: 8080}]}]
`;
    const { model, diagnostics } = loadMeshFromSources([{ path: 'k.yaml', text }]);
    expect(diagnostics).toEqual([]);
    const s = proxy(compileMesh(model!, composeAddressing()), 'httpbin-v1');
    expect(cluster(s, 'inbound|8000||').load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 8080 });
    expect(s.clusters.map((c) => c.name)).toContain('outbound|8000||httpbin.default.svc.cluster.local');
  });
});
