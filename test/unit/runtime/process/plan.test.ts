// What the process runtime runs for a mesh: ports, the apps' environment, bootstraps, notes.
import { GATEWAY } from '../fixtures.ts';
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../../src/config/index.ts';
import { adsBootstrap } from '../../../../src/xds/bootstrap.ts';
import { gatewayHostPorts } from '../../../../src/config/model.ts';
import { missingCommands, planProcesses } from '../../../../src/runtime/process/plan.ts';
import { statePaths } from '../../../../src/runtime/process/state.ts';

const MESH = `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: m}
spec:
  settings: {gateway: {ports: {"80": 8080}}}
  services:
    reviews:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, app.mjs], env: {VERSION: v1, DEBUG: true}, replicas: 3, healthcheck: {path: /healthz}}
        v2: {command: "node app.mjs --v2", image: reviews:2}
${GATEWAY}`;

const model = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH }]).model!;

function plan(extra: { poll?: boolean; appNode?: { dir: string; major: number }; model?: typeof model } = {}) {
  let next = 20000;
  const keys = ['outbound reviews-v1', 'outbound reviews-v2', 'app reviews-v1 9080', 'app reviews-v2 9080', 'admin reviews-v1', 'admin reviews-v2', 'admin mesh-gateway'];
  const ports = Object.fromEntries(keys.map((k) => [k, next++]));
  return planProcesses({
    model: extra.model ?? model,
    dir: '/mesh',
    ports: { portMap: { listenAddress: '127.0.0.1', ports: { ...ports, 'gateway 80': 8080 } }, control: { xdsPort: 15010, apiPort: 15080 }, notes: [] },
    paths: statePaths('/mesh'),
    envoy: '/bin/envoy',
    mesh: ['node', 'mesh.js'],
    env: { PATH: '/bin', UNSET: undefined },
    bootstrap: adsBootstrap,
    ...(extra.poll !== undefined ? { poll: extra.poll } : {}),
    ...(extra.appNode ? { appNode: extra.appNode } : {}),
  });
}

describe('planProcesses', () => {
  it('passes --poll to the control plane only with mesh up --poll', () => {
    expect(plan().control.command).not.toContain('--poll');
    expect(plan({ poll: true }).control.command).toContain('--poll');
  });

  it('gives each app its port, its sidecar as HTTP proxy (both spellings), loopback as NO_PROXY, and its env', () => {
    const v1 = plan().apps.find((a) => a.name === 'reviews-v1')!;
    expect(v1.env).toEqual({
      PATH: '/bin',
      VERSION: 'v1',
      DEBUG: 'true',
      PORT: '20002',
      HTTP_PROXY: 'http://127.0.0.1:20000',
      http_proxy: 'http://127.0.0.1:20000',
      NO_PROXY: 'localhost,127.0.0.1',
      no_proxy: 'localhost,127.0.0.1',
      NODE_USE_ENV_PROXY: '1',
    });
    expect(v1).toMatchObject({ command: ['node', 'app.mjs'], cwd: '/mesh', health: { url: 'http://127.0.0.1:20002/healthz' }, log: '/mesh/.mesh/process/logs/reviews-v1.log' });
    expect(plan().apps.find((a) => a.name === 'reviews-v2')).toMatchObject({ command: 'node app.mjs --v2', health: { port: 20003 } });
  });

  it('runs the control plane on the port map, and one Envoy per version plus the gateway on its ADS bootstrap', () => {
    const p = plan();
    expect(p.control.command).toEqual([
      'node', '--heap-growing-percent=20', 'mesh.js', 'control', // the V8 flag: control/node-options.ts
      '--dir', '/mesh', '--xds-port', '15010', '--api-port', '15080', '--bind', '127.0.0.1',
      '--addressing', '/mesh/.mesh/process/addressing.json',
    ]);
    expect(p.proxies.map((x) => x.name)).toEqual(['reviews-v1-proxy', 'reviews-v2-proxy', 'mesh-gateway']);
    expect(p.proxies[0]!.command.slice(0, 3)).toEqual(['/bin/envoy', '-c', '/mesh/.mesh/process/envoy/reviews-v1.json']);
    expect(p.proxyIds).toEqual(['reviews-v1', 'reviews-v2', 'mesh-gateway']);
    const bootstrap = p.bootstraps.get('reviews-v1') as { node: { id: string }; admin: unknown };
    expect(bootstrap.node.id).toBe('reviews-v1');
    expect(JSON.stringify(bootstrap.admin)).toContain('20004');
    expect(p.gateways).toEqual(['http://127.0.0.1:8080/']);
  });

  it('says that replicas run as one process', () => {
    expect(plan().notes[0]).toBe('reviews-v1: replicas: 3 runs as one process in the process runtime.');
  });

  it("puts the project's Node first on the apps' PATH, unless the command names a path", () => {
    const appNode = { dir: '/lm/node_modules/node/bin', major: 24 };
    const paths = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH
      .replace('command: [node, app.mjs]', 'command: [./bin/app]')
      .replace('command: "node app.mjs --v2"', 'command: "  /usr/bin/node app.mjs --v2", env: {PATH: "/opt/bin:/lm/node_modules/node/bin"}') }]).model!;
    const env = (p: ReturnType<typeof plan>, name: string) => p.apps.find((a) => a.name === name)!.env.PATH;
    const withNode = plan({ appNode });
    expect(env(withNode, 'reviews-v1')).toBe('/lm/node_modules/node/bin:/bin');
    expect(env(withNode, 'reviews-v2')).toBe('/lm/node_modules/node/bin:/bin');
    expect(withNode.control.env.PATH).toBe('/bin');
    expect(withNode.control.env).toMatchObject({ NODE_OPTIONS: '--max-semi-space-size=1', MALLOC_ARENA_MAX: '1' }); // control/node-options.ts
    expect(withNode.proxies.map((x) => x.env.PATH)).toEqual(['/bin', '/bin', '/bin']);
    const named = plan({ appNode, model: paths });
    expect(env(named, 'reviews-v1')).toBe('/bin');
    expect(env(named, 'reviews-v2')).toBe('/opt/bin:/lm/node_modules/node/bin');
    const once = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH.replace('env: {VERSION: v1,', 'env: {PATH: "/opt/bin:/lm/node_modules/node/bin", VERSION: v1,') }]).model!;
    expect(env(plan({ appNode, model: once }), 'reviews-v1')).toBe('/lm/node_modules/node/bin:/opt/bin');
    expect(env(plan(), 'reviews-v1')).toBe('/bin');
  });

  it('says which Node the apps get and which runtimes honour HTTP_PROXY', () => {
    const note = plan({ appNode: { dir: '/lm/node_modules/node/bin', major: 24 } }).notes.at(-1);
    expect(note).toBe(
      'Apps run with Node 24 (/lm/node_modules/node/bin) first on PATH, unless their command names a path. ' +
        'Node ≥ 24 (NODE_USE_ENV_PROXY=1), Python, Go and curl send their calls through the sidecar by HTTP_PROXY; ' +
        'other runtimes need their own setting, e.g. a JVM the proxy properties in JAVA_TOOL_OPTIONS ' +
        '(-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=the port of its HTTP_PROXY).',
    );
    expect(plan().notes.at(-1)).toMatch(/^Apps run with the `node` on PATH: it must be Node 24 or later/);
  });

  it('publishes gateway ports as settings.gateway.ports says, else on the same number', () => {
    expect(gatewayHostPorts(model)).toEqual([{ proxy: 'mesh-gateway', serverPort: 80, hostPort: 8080, protocol: 'HTTP' }]);
    const plain = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH.replace('settings: {gateway: {ports: {"80": 8080}}}', 'settings: {}') }]).model!;
    expect(gatewayHostPorts(plain)).toEqual([{ proxy: 'mesh-gateway', serverPort: 80, hostPort: 80, protocol: 'HTTP' }]);
  });

  it('names the versions without a command', () => {
    const noCommand = loadMeshFromSources([{ path: 'mesh.yaml', text: MESH.replace('command: "node app.mjs --v2", ', '') }]).model!;
    expect(missingCommands(noCommand)).toBe(
      "the process runtime runs each version's command, and reviews v2 has none; add `command:` (run from the mesh directory), or use the Docker runtime for images",
    );
    expect(missingCommands(model)).toBeUndefined();
  });
});
