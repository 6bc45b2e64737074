// Removing a subset and the route to it in one edit, under load through a real gateway Envoy:
// the clusters the old routes still use must outlive those routes (make before break), so no
// request fails, and afterwards CDS no longer has them and every proxy is SYNCED.
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_PROXY } from '../../../src/config/names.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import { EDGE_GATEWAY, meshYaml, subsetsRule } from '../../helpers/mesh.ts';
import { send, tally, type Response } from '../../helpers/traffic.ts';
import { reviewsRoute, startXdsMesh, syncedPlainText, waitFor, type XdsMesh } from '../../helpers/xds-mesh.ts';

const SIDECARS = ['reviews-v1', 'reviews-v2'];
const PROXIES = [GATEWAY_PROXY, ...SIDECARS];
const V2_CLUSTER = 'outbound|9080|v2|reviews.default.svc.cluster.local';

/** Each round's window of lost requests is a few ms wide: several rounds make a regression show. */
const ROUNDS = 6;
const MESH = [meshYaml({ reviews: 'v1 v2' }), EDGE_GATEWAY];
const SPLIT = [...MESH, subsetsRule('reviews', 'v1 v2'), reviewsRoute({ v1: 50, v2: 50 })];
const V1_ONLY = [...MESH, subsetsRule('reviews', 'v1'), reviewsRoute({ v1: 100 })];

let mesh: XdsMesh;

beforeAll(async () => {
  mesh = await startXdsMesh(SPLIT, SIDECARS);
});
afterAll(async () => {
  await mesh?.stop();
});

function allSynced(): boolean {
  const status = mesh.server.status().filter((p) => PROXIES.includes(p.id));
  return status.length === PROXIES.length && status.every(syncedPlainText);
}
const states = () =>
  JSON.stringify(mesh.server.status().filter((p) => PROXIES.includes(p.id)).map((p) => [p.id, RESOURCE_KINDS.map((k) => p.types[k].state)]));

/** Requests through the gateway from `workers` keep-alive connections, each at most one per `pauseMs`, until `stop()`. */
function load(workers = 6, pauseMs = 10): { stop(): Promise<Response[]> } {
  const agent = new Agent({ keepAlive: true, maxSockets: workers });
  const responses: Response[] = [];
  let running = true;
  const req = { port: mesh.addressing.gatewayPort(80), path: '/', headers: { host: 'reviews.local' }, timeoutMs: 5000 };
  const worker = async () => {
    while (running) {
      responses.push(await send(req, agent));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  };
  const all = Promise.all(Array.from({ length: workers }, worker));
  return {
    async stop() {
      running = false;
      await all;
      agent.destroy();
      return responses;
    },
  };
}

const gatewayClusters = async () => (await fetch(`${mesh.envoys.get(GATEWAY_PROXY)!.adminUrl}/clusters`)).text();

describe('removing a subset and the route to it at once', () => {
  it('loses no request under load, then drops the cluster, and every proxy ends SYNCED', async () => {
    await waitFor(allSynced, states);
    // Each round: v1/v2 50/50 → all to v1 with subset v2 gone, then back (an addition, safe either way).
    for (let round = 0; round < ROUNDS; round++) {
      await waitFor(async () => (await gatewayClusters()).includes(V2_CLUSTER), () => 'cluster v2 is not in the gateway');
      const traffic = load();
      await new Promise((r) => setTimeout(r, 500));
      const from = mesh.events.length;
      mesh.publish(V1_ONLY);
      await waitFor(allSynced, states);
      await new Promise((r) => setTimeout(r, 500));
      const result = tally(await traffic.stop());
      console.log(`removal round ${round}: ${result.summary}`);
      expect(result.total).toBeGreaterThan(200);
      expect(result.byStatus, result.summary).toEqual({ 200: result.total });

      const latest = mesh.cache.getSnapshot(GATEWAY_PROXY)!.types.clusters.version;
      const gateway = mesh.server.status().find((p) => p.id === GATEWAY_PROXY)!;
      expect(gateway.types.clusters).toMatchObject({ state: 'SYNCED', ackedVersion: latest, sentVersion: latest });
      // Make before break: CDS still with v2 (a transitional version), RDS, then the final CDS.
      const pushed = mesh.events.slice(from).flatMap((e) => (e.type === 'pushed' && e.proxy === GATEWAY_PROXY && e.kind !== 'endpoints' ? [e] : []));
      expect(pushed.map((e) => [e.kind, e.version, e.resources.includes(V2_CLUSTER)])).toEqual([
        ['clusters', `${latest}+keep`, true],
        ['routes', mesh.cache.getSnapshot(GATEWAY_PROXY)!.types.routes.version, false],
        ['clusters', latest, false],
      ]);
      expect(await gatewayClusters()).not.toContain(V2_CLUSTER);
      expect(await gatewayClusters()).toContain('outbound|9080|v1|reviews.default.svc.cluster.local');

      mesh.publish(SPLIT);
      await waitFor(allSynced, states);
    }
  }, 60_000);
});
