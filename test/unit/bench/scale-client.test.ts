// bench/scale's simulated Envoy against the real ADS server: on a mesh whose clusters are EDS
// (loopback addressing), every proxy subscribes CDS/LDS by wildcard and RDS/EDS by the names it
// was sent, and the server's own status says each type is SYNCED (its ACKs carry the right
// version and nonce); a weight edit is then a routes push to every proxy and nothing else.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedEnvoy } from '../../../bench/scale/client.ts';
import { EDITED_FILE, GATEWAY_ID, shapeFor, sidecarIds, writeMesh } from '../../../bench/scale/mesh.ts';
import { loopbackAddressing } from '../../../src/compile/addressing.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { loadMesh } from '../../../src/config/index.ts';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { startXdsServer, type XdsServer } from '../../../src/xds/server.ts';

const shape = shapeFor(6);
let dir: string;
let server: XdsServer;
let cache: SnapshotCache;
let envoys: SimulatedEnvoy[];

/** The server's status once every proxy is SYNCED (the ACKs may still be on their way), or as it is after 2 s. */
async function settled() {
  for (let i = 0; i < 200 && !server.status().every((p) => p.sync === 'SYNCED'); i++) await new Promise((r) => setTimeout(r, 10));
  return server.status();
}

async function compile() {
  const { model } = await loadMesh(dir);
  return compileMesh(model!, loopbackAddressing(model!, 21000)).snapshots;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-scale-client-'));
  await writeMesh(dir, shape);
  cache = new SnapshotCache();
  cache.setSnapshots(await compile());
  server = await startXdsServer({ cache, port: 0 });
  envoys = [
    ...sidecarIds(shape).map(({ id, service, version }) => new SimulatedEnvoy(`127.0.0.1:${server.port}`, { id, cluster: service, metadata: { service, version } })),
    new SimulatedEnvoy(`127.0.0.1:${server.port}`, { id: GATEWAY_ID, cluster: GATEWAY_ID, metadata: {} }),
  ];
  for (const e of envoys) e.start();
});
afterAll(async () => {
  for (const e of envoys ?? []) e.close();
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('the simulated Envoy', () => {
  it('syncs every type it is served, named RDS and EDS included, as the server sees it', async () => {
    await Promise.all(envoys.map((e) => e.until(() => ['clusters', 'listeners', 'routes', 'endpoints'].every((k) => e.acked.has(k as never)))));
    const status = await settled();
    expect(status).toHaveLength(shape.services * shape.versions + 1);
    for (const proxy of status) {
      expect(proxy.subscribed).toEqual(['listeners', 'routes', 'clusters', 'endpoints', 'runtime']);
      expect(proxy.sync).toBe('SYNCED');
    }
    expect(status.find((p) => p.id === 's0-v2')).toMatchObject({ service: 's0', version: 'v2' }); // node metadata reached the server
    expect(envoys.every((e) => e.nacks.length === 0 && !e.error)).toBe(true);
  });

  it('ACKs a weight edit as one routes response per proxy', async () => {
    const before = envoys.map((e) => ({ routes: e.acked.get('routes'), acks: e.acks.length }));
    const file = join(dir, EDITED_FILE);
    await writeFile(file, (await readFile(file, 'utf8')).replace('weight: 80', 'weight: 70').replace('weight: 20', 'weight: 30'));
    cache.setSnapshots(await compile());
    await Promise.all(envoys.map((e, i) => e.until(() => e.acked.get('routes') !== before[i]!.routes)));
    for (const [i, e] of envoys.entries()) expect(e.acks.slice(before[i]!.acks).map((a) => a.kind)).toEqual(['routes']);
    expect((await settled()).map((p) => p.sync)).toEqual(envoys.map(() => 'SYNCED'));
  });
});
