// Ports for the process runtime: every key the compiler asks for, admin ports, the gateway's
// published port, and the control plane's defaults unless taken.
import { createServer, type Server } from 'node:net';
import { GATEWAY } from '../fixtures.ts';
import { afterEach, describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../../src/config/index.ts';
import { extendPortMap, planPorts } from '../../../../src/runtime/process/port-map.ts';
import { freePorts } from '../../../../src/runtime/ports.ts';
import { loopbackAddressing, loopbackPortKeys } from '../../../../src/compile/addressing.ts';
import { compileMesh } from '../../../../src/compile/index.ts';

const mesh = (gatewayPort: number) => loadMeshFromSources([{ path: 'mesh.yaml', text: `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  settings: {gateway: {ports: {"80": ${gatewayPort}}}}
  services:
    reviews: {ports: [{port: 9080}], versions: {v1: {command: x}}}
    db: {ports: [{port: 5432, protocol: tcp}], versions: {v1: {command: x}}}
${GATEWAY}` }]).model!;

const held: Server[] = [];
afterEach(() => Promise.all(held.splice(0).map((s) => new Promise((r) => s.close(r)))));
async function hold(port: number): Promise<void> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
}

describe('planPorts', () => {
  it('plans from the model alone: loopbackPortKeys are the keys a compile asks for, in the order it hands them out', async () => {
    const model = mesh(8080);
    const compiled = loopbackAddressing(model, 1);
    compileMesh(model, compiled);
    expect(loopbackPortKeys(model)).toEqual([...compiled.ports.keys()]);
    expect(loopbackPortKeys(model)).toContain('tcp reviews-v1 db.default.svc.cluster.local 5432');
  });

  it('has a distinct port for every key, the gateway on its published port', async () => {
    const [gateway] = await freePorts(1);
    const plan = await planPorts(mesh(gateway!));
    const { ports } = plan.portMap;
    expect(ports['gateway 80']).toBe(gateway);
    for (const key of ['outbound reviews-v1', 'inbound reviews-v1 9080', 'app reviews-v1 9080', 'admin reviews-v1', 'admin mesh-gateway', 'tcp reviews-v1 db.default.svc.cluster.local 5432']) {
      expect(ports[key], key).toBeGreaterThan(0);
    }
    const all = [...Object.values(ports), plan.control.xdsPort, plan.control.apiPort];
    expect(new Set(all).size).toBe(all.length);
  });

  it('takes other control-plane ports when the defaults are busy, and says so', async () => {
    const [gateway] = await freePorts(1);
    // Hold whatever the defaults are by occupying them if free; otherwise they are busy already.
    await hold(15010).catch(() => undefined);
    await hold(15080).catch(() => undefined);
    const plan = await planPorts(mesh(gateway!));
    expect(plan.control.xdsPort).not.toBe(15010);
    expect(plan.control.apiPort).not.toBe(15080);
    expect(plan.notes).toEqual([
      `The control plane's xDS port 15010 is in use; using ${plan.control.xdsPort}.`,
      `The control plane's API port 15080 is in use; using ${plan.control.apiPort}.`,
    ]);
  });

  it('refuses a gateway port that is taken, with what to do', async () => {
    const [gateway] = await freePorts(1);
    await hold(gateway!);
    await expect(planPorts(mesh(gateway!))).rejects.toThrow(
      `port ${gateway} (the gateway's port 80) is in use on 127.0.0.1; stop what listens there, or publish the gateway elsewhere with settings.gateway.ports: { "80": OTHER } in the Mesh.`,
    );
  });
});

describe('extendPortMap', () => {
  const grown = (gatewayPort: number) => loadMeshFromSources([{ path: 'mesh.yaml', text: `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  settings: {gateway: {ports: {"80": ${gatewayPort}}}}
  services:
    reviews: {ports: [{port: 9080}], versions: {v1: {command: x}, v3: {command: x}}}
    db: {ports: [{port: 5432, protocol: tcp}], versions: {v1: {command: x}}}
    ratings: {ports: [{port: 9080}, {port: 9090}], versions: {v1: {command: x}}}
${GATEWAY}` }]).model!;

  it('hands the ports of added versions and services out as the control plane would, keeping every port it had', async () => {
    const { portMap } = await planPorts(mesh(8080));
    const { portMap: extended, added } = extendPortMap(grown(8080), portMap);
    for (const [key, port] of Object.entries(portMap.ports)) expect(extended.ports[key], key).toBe(port);
    expect(added).toContain('inbound reviews-v3 9080');
    expect(added).toContain('app ratings-v1 9090');
    expect(added).toContain('tcp reviews-v3 db.default.svc.cluster.local 5432');
    expect(added).toContain('admin reviews-v3');
    // The control plane compiling the grown mesh on the port map it read at start (before it
    // reads the file again: portMapMode's addressing) asks for the same ports for every key.
    const compiled = loopbackAddressing(grown(8080), 0, { ports: new Map(Object.entries(portMap.ports)) });
    compileMesh(grown(8080), compiled);
    for (const [key, port] of compiled.ports) expect(extended.ports[key], key).toBe(port);
    expect(new Set(Object.values(extended.ports)).size).toBe(Object.keys(extended.ports).length);
  });

  it('adds nothing for a mesh it has every port of', async () => {
    const { portMap } = await planPorts(mesh(8080));
    expect(extendPortMap(mesh(8080), portMap)).toEqual({ portMap, added: [] });
  });
});
