// DestinationRule traffic policies, seen through the gateway: consistent-hash load balancing,
// connection-pool limits and outlier detection. Each policy has a service of its own; routes
// name the host without a subset, so the cluster holds every version's endpoint.
import { describe, expect, it } from 'vitest';
import { EDGE_GATEWAY, gatewayRoute, meshYaml, useMesh } from '../helpers/mesh.ts';
import { send, sendMany } from '../helpers/traffic.ts';

const mesh = useMesh([meshYaml({ sticky: 'v1 v2 v3', cookie: 'v1 v2 v3', limited: 'v1', flaky: 'v1 v2' }), EDGE_GATEWAY]);
const clusterStat = (service: string, stat: string) =>
  mesh.envoy().stat(`cluster.outbound|9080||${service}.default.svc.cluster.local.${stat}`);

describe('consistent hash on a header', () => {
  mesh.add(gatewayRoute('sticky', 'sticky.test'));
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: sticky
spec:
  host: sticky
  trafficPolicy:
    loadBalancer:
      consistentHash: { httpHeaderName: x-user }
`);
  const asUser = (user: string) => mesh.at('sticky.test', '/', { headers: { 'x-user': user } });

  it('sends the same header value to the same instance every time', async () => {
    const tally = await sendMany(50, asUser('alice'), 4);
    expect(Object.keys(tally.byVersion), `alice's 50 requests: ${tally.summary}`).toHaveLength(1);
    expect(tally.byStatus, tally.summary).toEqual({ 200: 50 });
  });

  it('spreads different values over the instances', async () => {
    const tally = await sendMany(60, (i) => asUser(`user-${i}`));
    expect(Object.keys(tally.byVersion).length, `60 users: ${tally.summary}`).toBeGreaterThanOrEqual(2);
    for (let i = 0; i < 60; i += 12) {
      const again = await send(asUser(`user-${i}`));
      expect(again.version, `user-${i} again`).toBe(tally.responses[i]!.version);
    }
  });
});

describe('consistent hash on a cookie', () => {
  mesh.add(gatewayRoute('cookie', 'cookie.test'));
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: cookie
spec:
  host: cookie
  trafficPolicy:
    loadBalancer:
      consistentHash: { httpCookie: { name: session, ttl: 60s } }
`);

  it('sets the cookie on the first response, and requests carrying it stay on one instance', async () => {
    const first = await send(mesh.at('cookie.test'));
    const setCookie = first.headers['set-cookie']?.[0] ?? '';
    expect(setCookie, 'set-cookie of the first response').toMatch(/^session=/);
    const cookie = setCookie.split(';')[0]!;
    const tally = await sendMany(30, mesh.at('cookie.test', '/', { headers: { cookie } }), 4);
    expect(Object.keys(tally.byVersion), `30 requests with ${cookie}: ${tally.summary}`).toHaveLength(1);
  });
});

describe('connection pool limits', () => {
  mesh.add(gatewayRoute('limited', 'limited.test'));
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: limited
spec:
  host: limited
  trafficPolicy:
    connectionPool:
      tcp: { maxConnections: 1 }
      http: { http1MaxPendingRequests: 1 }
`);

  it('rejects requests beyond 1 connection and 1 pending request with 503', async () => {
    mesh.running.upstream('limited', 'v1').behave({ delayMs: 300 });
    const tally = await sendMany(10, mesh.at('limited.test'), 10);
    const overflowed = tally.responses.filter((r) => r.status === 503);
    expect((tally.byStatus[200] ?? 0) + overflowed.length, tally.summary).toBe(10);
    expect(tally.byStatus[200] ?? 0, `at least the first request succeeds; ${tally.summary}`).toBeGreaterThanOrEqual(1);
    expect(overflowed.length, `most of 10 concurrent slow requests overflow; ${tally.summary}`).toBeGreaterThanOrEqual(5);
    expect(overflowed[0]?.headers['x-envoy-overloaded']).toBe('true');
    expect(await clusterStat('limited', 'upstream_rq_pending_overflow')).toBe(overflowed.length);
  });
});

describe('outlier detection', () => {
  mesh.add(gatewayRoute('flaky', 'flaky.test'));
  mesh.add(`
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: flaky
spec:
  host: flaky
  trafficPolicy:
    outlierDetection:
      consecutive5xxErrors: 2
      interval: 1s
      baseEjectionTime: 30s
      maxEjectionPercent: 100
`);

  it('ejects the instance that keeps answering 500, and traffic moves to the healthy one', async () => {
    mesh.running.upstream('flaky', 'v2').behave({ status: 500 });
    const warmup = await sendMany(20, mesh.at('flaky.test'), 1);
    expect(warmup.byStatus[500] ?? 0, `500s before ejection (2 consecutive needed); ${warmup.summary}`).toBeLessThanOrEqual(3);
    expect(await clusterStat('flaky', 'outlier_detection.ejections_active'), 'ejected instances').toBe(1);
    const after = await sendMany(30, mesh.at('flaky.test'), 1);
    expect(after.byVersion, `after ejection: ${after.summary}`).toEqual({ v1: 30 });
    expect(after.byStatus, after.summary).toEqual({ 200: 30 });
  });
});
