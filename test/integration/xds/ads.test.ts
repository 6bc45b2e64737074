// The ADS server feeding real Envoys: a gateway and two sidecars compiled from a small mesh,
// all synced over xDS, with traffic from the gateway through the sidecars to the apps.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_PROXY } from '../../../src/config/names.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import { EDGE_GATEWAY, meshYaml, subsetsRule } from '../../helpers/mesh.ts';
import { sendMany } from '../../helpers/traffic.ts';
import { PLAIN_TEXT_KINDS, reviewsRoute, startXdsMesh, syncedPlainText, waitFor, type XdsMesh } from '../../helpers/xds-mesh.ts';

const SIDECARS = ['reviews-v1', 'reviews-v2'];
const PROXIES = [GATEWAY_PROXY, ...SIDECARS];

const BASE = [meshYaml({ reviews: 'v1 v2', ratings: 'v1' }), EDGE_GATEWAY, subsetsRule('reviews', 'v1 v2')];

let mesh: XdsMesh;

beforeAll(async () => {
  mesh = await startXdsMesh([...BASE, reviewsRoute({ v1: 100, v2: 0 })], SIDECARS);
});
afterAll(async () => {
  await mesh?.stop();
});

function states(proxies = PROXIES): string {
  return JSON.stringify(
    mesh.server.status().filter((p) => proxies.includes(p.id)).map((p) => [p.id, p.connected, RESOURCE_KINDS.map((k) => p.types[k].state)]),
  );
}

function allSynced(proxies = PROXIES): boolean {
  const status = mesh.server.status().filter((p) => proxies.includes(p.id));
  return status.length === proxies.length && status.every(syncedPlainText);
}

const gatewayRequest = () => ({ port: mesh.addressing.gatewayPort(80), path: '/', headers: { host: 'reviews.local' } });

describe('initial sync', () => {
  it('brings every running proxy to SYNCED and traffic flows gateway → sidecar → app', async () => {
    await waitFor(() => allSynced(), states);
    const status = mesh.server.status();
    expect(status.find((p) => p.id === 'reviews-v1')).toMatchObject({ service: 'reviews', version: 'v1', connected: true });
    // ratings-v1 has a snapshot but no running proxy.
    expect(status.find((p) => p.id === 'ratings-v1')).toMatchObject({ connected: false, types: { listeners: { state: 'NOT SENT' } } });
    const tally = await sendMany(40, gatewayRequest());
    expect(tally.byVersion, tally.summary).toEqual({ v1: 40 });
    const acks = mesh.events.filter((e) => e.type === 'acked');
    expect(acks.length).toBeGreaterThanOrEqual(PROXIES.length * PLAIN_TEXT_KINDS.length);
    console.log(`initial sync: push-to-ACK ms ${JSON.stringify(acks.map((e) => (e.type === 'acked' ? e.latencyMs : 0)))}`);
  });
});

/** Events since index `from`. */
const eventsSince = (from: number) => mesh.events.slice(from);

function pushes(from: number): string[] {
  return eventsSince(from).flatMap((e) => (e.type === 'pushed' ? [`${e.proxy} ${e.kind}`] : []));
}

describe('a route-only change', () => {
  it('reaches Envoy as RDS only, and the split follows', async () => {
    const gateway = mesh.envoys.get(GATEWAY_PROXY)!;
    const STATS = ['listener_manager.lds.update_success', 'cluster_manager.cds.update_success', 'http.gateway_80.rds.http.80.update_success'];
    const before = await Promise.all(STATS.map((s) => gateway.stat(s)));
    const from = mesh.events.length;
    mesh.publish([...BASE, reviewsRoute({ v1: 0, v2: 100 })]);
    await waitFor(() => allSynced(), states);
    expect(pushes(from)).toEqual([`${GATEWAY_PROXY} routes`]);
    await waitFor(async () => (await gateway.stat(STATS[2]!)) === before[2]! + 1, () => 'RDS update_success did not move');
    const after = await Promise.all(STATS.map((s) => gateway.stat(s)));
    expect(after).toEqual([before[0], before[1], before[2]! + 1]);
    const ack = eventsSince(from).find((e) => e.type === 'acked');
    console.log(`route change: push-to-ACK ${ack?.type === 'acked' ? ack.latencyMs : '?'} ms`);
    const tally = await sendMany(40, gatewayRequest());
    expect(tally.byVersion, tally.summary).toEqual({ v2: 40 });
  });
});

const RATINGS = `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: ratings }
spec:
  host: ratings
  subsets: [{ name: v1, labels: { version: v1 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ratings }
spec:
  hosts: [ratings.local]
  gateways: [edge]
  http:
    - route: [{ destination: { host: ratings, subset: v1 } }]
`;

describe('a new subset', () => {
  it('pushes CDS, then the new cluster\'s EDS, then RDS, and routes to it', async () => {
    const from = mesh.events.length;
    mesh.publish([...BASE, reviewsRoute({ v1: 0, v2: 100 }), RATINGS]);
    await waitFor(() => allSynced(), states);
    const gatewayPushes = pushes(from).filter((p) => p.startsWith(GATEWAY_PROXY)).map((p) => p.split(' ')[1]);
    expect(gatewayPushes.filter((k, i) => k !== gatewayPushes[i - 1])).toEqual(['clusters', 'endpoints', 'routes']);
    expect(gatewayPushes).not.toContain('listeners');
    // The routes go out only after Envoy asked for the new cluster's endpoints and got them.
    const gatewayEvents = eventsSince(from).filter((e) => e.type === 'pushed' && e.proxy === GATEWAY_PROXY);
    const edsPush = gatewayEvents.findLast((e) => e.type === 'pushed' && e.kind === 'endpoints');
    expect(edsPush?.type === 'pushed' && edsPush.resources).toContain('outbound|9080|v1|ratings.default.svc.cluster.local');
    expect(gatewayEvents.indexOf(edsPush!)).toBeLessThan(gatewayEvents.findIndex((e) => e.type === 'pushed' && e.kind === 'routes'));
    const tally = await sendMany(20, { ...gatewayRequest(), headers: { host: 'ratings.local' } });
    expect(tally.byStatus, tally.summary).toEqual({ 200: 20 });
  });
});

describe('a resource Envoy rejects', () => {
  it('is NACKed for that proxy only, not resent, and the previous config keeps serving', async () => {
    const good = mesh.cache.getSnapshot(GATEWAY_PROXY)!.snapshot;
    // Passes the proto check, but Envoy refuses two virtual hosts with the same domain.
    const routes = good.routes.map((r) => {
      const hosts = r.value.virtual_hosts as Array<Record<string, unknown>>;
      return { name: r.name, value: { ...r.value, virtual_hosts: [...hosts, { ...hosts[0], name: 'duplicate' }] } };
    });
    const from = mesh.events.length;
    mesh.cache.setSnapshot(GATEWAY_PROXY, { ...good, routes });
    await waitFor(() => eventsSince(from).some((e) => e.type === 'nacked'), () => JSON.stringify(eventsSince(from)));
    await new Promise((r) => setTimeout(r, 300)); // room for a resend loop, if there were one

    const nacks = eventsSince(from).filter((e) => e.type === 'nacked');
    expect(nacks).toHaveLength(1);
    expect(nacks[0]).toMatchObject({ proxy: GATEWAY_PROXY, kind: 'routes' });
    expect(nacks[0]!.type === 'nacked' && nacks[0]!.message).toMatch(/[Dd]uplicate entry of domain/);
    console.log(`NACK message: ${nacks[0]!.type === 'nacked' && nacks[0]!.message}`);
    expect(pushes(from)).toEqual([`${GATEWAY_PROXY} routes`]);
    const gateway = mesh.server.status().find((p) => p.id === GATEWAY_PROXY)!;
    expect(gateway.types.routes.state).toBe('NACK');
    expect(gateway.types.routes.nack?.message).toMatch(/[Dd]uplicate entry of domain/);
    expect(gateway.types.routes.ackedVersion).not.toBe(gateway.types.routes.latestVersion);
    expect(allSynced(SIDECARS), states()).toBe(true);
    const tally = await sendMany(20, gatewayRequest());
    expect(tally.byVersion, tally.summary).toEqual({ v2: 20 });

    // The fix goes out, is ACKed, and clears the NACK.
    mesh.cache.setSnapshot(GATEWAY_PROXY, good);
    await waitFor(() => allSynced(), states);
    expect(mesh.server.status().find((p) => p.id === GATEWAY_PROXY)!.types.routes.nack).toBeUndefined();
  });
});

describe('a control-plane restart', () => {
  it('leaves Envoy serving meanwhile, and every proxy resyncs', async () => {
    const versions = () => mesh.server.status().map((p) => [p.id, RESOURCE_KINDS.map((k) => p.types[k].latestVersion)]);
    const before = versions();
    await mesh.stopServer();
    await waitFor(
      () => PROXIES.every((p) => mesh.events.some((e) => e.type === 'disconnected' && e.proxy === p)),
      () => 'not every proxy disconnected',
    );
    const meanwhile = await sendMany(20, gatewayRequest());
    expect(meanwhile.byVersion, meanwhile.summary).toEqual({ v2: 20 });

    const restartedAt = Date.now();
    await mesh.startServer();
    await waitFor(() => allSynced(), states, 10_000);
    expect(versions(), 'versions are content hashes: the same after a restart').toEqual(before);
    console.log(`restart: all proxies SYNCED ${Date.now() - restartedAt} ms after the new server started`);
    const after = await sendMany(20, gatewayRequest());
    expect(after.byVersion, after.summary).toEqual({ v2: 20 });
  });
});
