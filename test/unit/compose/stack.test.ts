// The Compose stack generator: readable assertions on the structure it writes for the examples.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadMesh } from '../../../src/config/index.ts';
import type { MeshModel, VersionModel } from '../../../src/config/model.ts';
import { defaultImages, resolveImages } from '../../../src/compose/images.ts';
import { projectName } from '../../../src/compose/names.ts';
import { generateStack, type Stack } from '../../../src/compose/stack.ts';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';

const EXAMPLES = fileURLToPath(new URL('../../../examples/', import.meta.url));
const IMAGES = defaultImages();

async function model(name: string): Promise<MeshModel> {
  const { model } = await loadMesh(`${EXAMPLES}${name}`);
  return model!;
}

/** The model with every version of every service replaced by `f` of it. */
function mapVersions(m: MeshModel, f: (v: VersionModel) => VersionModel): MeshModel {
  return { ...m, services: m.services.map((s) => ({ ...s, versions: s.versions.map(f) })) };
}

type Services = Record<string, Record<string, unknown>>;

function generate(m: MeshModel, meshDir = `/home/dev/meshes/${m.name}`): { stack: Stack; services: Services } {
  const stack = generateStack({ model: m, meshDir, images: IMAGES, apiPort: 15080, codeDir: '/opt/lm', bootstrap: adsBootstrap });
  return { stack, services: (parse(stack.compose) as { services: Services }).services };
}

describe('generateStack: examples/canary', async () => {
  const { stack, services } = generate(await model('canary'));

  it('has the control plane, a pod (holder, init, proxy, app) per version, and the gateway', () => {
    expect(Object.keys(services)).toEqual([
      'mesh-control',
      'reviews-v1-pod', 'reviews-v1-init', 'reviews-v1-proxy', 'reviews-v1',
      'reviews-v2-pod', 'reviews-v2-init', 'reviews-v2-proxy', 'reviews-v2',
      'mesh-gateway',
    ]);
    expect(stack.services.pod).toEqual(['reviews-v1-pod', 'reviews-v2-pod']);
    expect(stack.project).toBe('canary');
    expect(stack.proxyIds).toEqual(['reviews-v1', 'reviews-v2', 'mesh-gateway']);
    expect(stack.gateways).toEqual(['http://127.0.0.1:8080/']);
    expect(stack.compose).toMatch(/^# .*\n# .*\n# By hand, from the mesh directory: docker compose -p canary --project-directory \. -f \.mesh\/compose\.yaml up -d\n/);
  });

  it('the pod holder: does nothing but hold the namespace, carries the names apps call, restarts', () => {
    expect(services['reviews-v1-pod']).toEqual({
      image: IMAGES.init,
      entrypoint: ['sleep', 'infinity'],
      init: true,
      restart: 'unless-stopped',
      networks: { default: { aliases: ['reviews-v1-proxy', 'reviews', 'reviews.default', 'reviews.default.svc.cluster.local'] } },
      labels: { 'dev.localmesh.role': 'pod', 'dev.localmesh.proxy': 'reviews-v1', 'dev.localmesh.service': 'reviews' },
    });
  });

  it('the proxy: Envoy as uid 1337 in the pod, its bootstrap read-only, restarted, nothing published', () => {
    expect(services['reviews-v1-proxy']).toMatchObject({
      image: IMAGES.envoy,
      user: '1337:1337',
      command: ['-c', '/etc/envoy/bootstrap.json', '--log-level', 'warning', '--concurrency', '1', '--drain-strategy', 'immediate', '--drain-time-s', '45'],
      volumes: ['./.mesh/envoy/reviews-v1.json:/etc/envoy/bootstrap.json:ro'],
      network_mode: 'service:reviews-v1-pod',
      restart: 'unless-stopped',
      depends_on: ['reviews-v1-pod', 'mesh-control'],
    });
    expect(services['reviews-v1-proxy']).not.toHaveProperty('ports');
    expect(services['reviews-v1-proxy']).not.toHaveProperty('networks');
  });

  it("the proxy's bootstrap: ADS at mesh-control:15010, admin on 127.0.0.1:15000 only, stats 15090 and health 15021", () => {
    const bootstrap = JSON.parse(stack.files.get('envoy/reviews-v1.json')!);
    expect(bootstrap.node).toMatchObject({ id: 'reviews-v1', cluster: 'reviews', metadata: { service: 'reviews', version: 'v1' } });
    expect(bootstrap.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: 15000 });
    const xds = bootstrap.static_resources.clusters.find((c: { name: string }) => c.name === 'xds_cluster');
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ address: 'mesh-control', port_value: 15010 });
    const listeners = Object.fromEntries(bootstrap.static_resources.listeners.map((l: { name: string; address: { socket_address: unknown } }) => [l.name, l.address.socket_address]));
    expect(listeners).toEqual({ prometheus_stats: { address: '0.0.0.0', port_value: 15090 }, health: { address: '0.0.0.0', port_value: 15021 } });
  });

  it('the init container: NET_ADMIN in the pod namespace, once (no restart policy)', () => {
    expect(services['reviews-v1-init']).toMatchObject({
      image: IMAGES.init,
      network_mode: 'service:reviews-v1-pod',
      cap_add: ['NET_ADMIN'],
      depends_on: ['reviews-v1-pod'],
    });
    expect(services['reviews-v1-init']).not.toHaveProperty('restart');
  });

  it('the app: its command on Node.js, the mesh folder laid out as on the host, PORT, after init succeeded', () => {
    expect(services['reviews-v1']).toMatchObject({
      image: IMAGES.node,
      command: ['node', '../app/server.mjs'],
      // ../app/server.mjs reaches one folder up: the mesh directory's parent (..: paths are relative to the mesh directory) is mounted.
      volumes: ['..:/app:ro'],
      working_dir: '/app/canary',
      init: true,
      network_mode: 'service:reviews-v1-pod',
      restart: 'unless-stopped',
      environment: { SERVICE: 'reviews', VERSION: 'v1', PORT: '9080' },
      depends_on: { 'reviews-v1-init': { condition: 'service_completed_successfully' } },
    });
    expect((services['reviews-v1']!.healthcheck as { test: string[] }).test.join(' ')).toContain("fetch('http://127.0.0.1:9080/healthz')");
  });

  it('the control plane: the node image running the installation read-only, the mesh directory read-only, polling, the API on 127.0.0.1 only', () => {
    expect(services['mesh-control']).toMatchObject({
      image: IMAGES.node,
      entrypoint: ['node', '--heap-growing-percent=20', '/opt/localmesh/bin/mesh.js'], // control/node-options.ts
      environment: { NODE_OPTIONS: '--max-semi-space-size=1', MALLOC_ARENA_MAX: '1', NODE_COMPILE_CACHE: '/var/cache/localmesh-node' },
      volumes: ['/opt/lm:/opt/localmesh:ro', '.:/mesh:ro', 'node-compile-cache:/var/cache/localmesh-node'],
      ports: ['127.0.0.1:15080:15080'],
      restart: 'unless-stopped',
    });
    expect(services['mesh-control']!.command).toEqual(expect.arrayContaining(['--poll', '--bind', '0.0.0.0', '--addressing', 'compose']));
    // Its compile cache outlives the container (mesh down -v removes it).
    expect((parse(stack.compose) as { volumes: unknown }).volumes).toEqual({ 'node-compile-cache': {} });
  });

  it('the gateway publishes the Gateway port 80 on settings.gateway.ports (8080), on 127.0.0.1', () => {
    expect(services['mesh-gateway']).toMatchObject({
      image: IMAGES.envoy, ports: ['127.0.0.1:8080:80'], volumes: ['./.mesh/envoy/mesh-gateway.json:/etc/envoy/bootstrap.json:ro'], restart: 'unless-stopped',
    });
    expect(JSON.parse(stack.files.get('envoy/mesh-gateway.json')!).node.id).toBe('mesh-gateway');
  });
});

describe('generateStack: a gateway service per Gateway selector', async () => {
  const base = await model('canary');
  const egress = {
    ...base.gateways[0]!,
    name: 'edge',
    key: 'default/edge',
    spec: {
      selector: { istio: 'edgegateway' },
      servers: [
        { port: { number: 80, name: 'http', protocol: 'HTTP' as const }, hosts: ['api.example.com'] },
        { port: { number: 443, name: 'tls', protocol: 'TLS' as const }, hosts: ['api.example.com'], tls: { mode: 'PASSTHROUGH' } },
      ],
    },
  };
  const { stack, services } = generate({ ...base, gateways: [...base.gateways, egress] });

  it('runs a second gateway beside the ingress gateway, its own node id and bootstrap, publishing its ports on their numbers', () => {
    expect(Object.keys(services).slice(-2)).toEqual(['mesh-gateway', 'mesh-gateway-edgegateway']);
    expect(services['mesh-gateway']!.ports).toEqual(['127.0.0.1:8080:80']);
    expect(services['mesh-gateway-edgegateway']).toMatchObject({
      image: IMAGES.envoy,
      ports: ['127.0.0.1:80:80', '127.0.0.1:443:443'],
      volumes: ['./.mesh/envoy/mesh-gateway-edgegateway.json:/etc/envoy/bootstrap.json:ro'],
    });
    expect(JSON.parse(stack.files.get('envoy/mesh-gateway-edgegateway.json')!).node.id).toBe('mesh-gateway-edgegateway');
    expect(stack.proxyIds).toEqual(['reviews-v1', 'reviews-v2', 'mesh-gateway', 'mesh-gateway-edgegateway']);
    expect(stack.services.gateway).toEqual(['mesh-gateway', 'mesh-gateway-edgegateway']);
    expect(stack.gateways).toEqual(['http://127.0.0.1:8080/', 'http://127.0.0.1:80/', 'tls://127.0.0.1:443/']);
  });

  it('an egress gateway publishes nothing: the sidecars reach it inside the mesh', () => {
    const egressGateway = { ...egress, name: 'egress', key: 'default/egress', spec: { ...egress.spec, selector: { istio: 'egressgateway' } } };
    const { services: s } = generate({ ...base, gateways: [...base.gateways, egressGateway] });
    expect(s['mesh-gateway-egressgateway']).toBeDefined();
    expect(s['mesh-gateway-egressgateway']!.ports).toBeUndefined();
  });
});

describe('generateStack: settings and variations', () => {
  it('replicas are further pods whose holders answer to S-v-proxy (examples/shop pricing v1: 2)', async () => {
    const { services, stack } = generate(await model('shop'));
    expect(Object.keys(services).filter((s) => s.startsWith('pricing-v1'))).toEqual([
      'pricing-v1-pod', 'pricing-v1-init', 'pricing-v1-proxy', 'pricing-v1',
      'pricing-v1-r2-pod', 'pricing-v1-r2-init', 'pricing-v1-r2-proxy', 'pricing-v1-r2',
    ]);
    expect(services['pricing-v1-r2-proxy']).toMatchObject({ volumes: ['./.mesh/envoy/pricing-v1.json:/etc/envoy/bootstrap.json:ro'], network_mode: 'service:pricing-v1-r2-pod' });
    expect(services['pricing-v1-r2-pod']).toMatchObject({
      networks: { default: { aliases: ['pricing-v1-proxy', 'pricing', 'pricing.default', 'pricing.default.svc.cluster.local'] } },
    });
    expect(services['pricing-v1-r2']).toMatchObject({ network_mode: 'service:pricing-v1-r2-pod', depends_on: { 'pricing-v1-r2-init': { condition: 'service_completed_successfully' } } });
    expect(stack.proxyIds).not.toContain('pricing-v1-r2');
  });

  it('an image or a build is used as declared: no Node.js mount or healthcheck', async () => {
    const m = await model('canary');
    const withImages = mapVersions(m, (v) =>
      v.name === 'v1'
        ? { ...v, spec: { replicas: 1, image: 'example/reviews:1', env: { SERVICE: 'reviews' } } }
        : { ...v, spec: { replicas: 1, build: { context: 'reviews', dockerfile: 'Dockerfile.dev' } } },
    );
    const { services, stack } = generate(withImages);
    expect(services['reviews-v1']).toEqual(expect.objectContaining({ image: 'example/reviews:1', environment: { SERVICE: 'reviews', PORT: '9080' } }));
    expect(services['reviews-v1']).not.toHaveProperty('volumes');
    expect(services['reviews-v1']).not.toHaveProperty('healthcheck');
    expect(services['reviews-v2']).toMatchObject({ build: { context: 'reviews', dockerfile: 'Dockerfile.dev' } });
    expect(stack.images).toContain('example/reviews:1');
    // localmesh/init is built by mesh up, not pulled.
    expect(stack.images).not.toContain(IMAGES.init);
    expect(stack.own.map((o) => o.tag)).toEqual([IMAGES.init]);
  });

  it('lists the built services (one per replica) and the declared healthchecks it does not run', async () => {
    const m = await model('canary');
    const check = { path: '/healthz' };
    const mixed = mapVersions(m, (v) =>
      v.name === 'v1'
        ? { ...v, spec: { replicas: 1, image: 'example/reviews:1', healthcheck: check } }
        : { ...v, replicas: 2, spec: { replicas: 2, build: { context: 'reviews', args: { MODE: 'dev' } }, healthcheck: check } },
    );
    const { stack } = generate(mixed);
    expect(stack.builds).toEqual([
      { service: 'reviews-v2', context: 'reviews', args: { MODE: 'dev' } },
      { service: 'reviews-v2-r2', context: 'reviews', args: { MODE: 'dev' } },
    ]);
    expect(stack.healthchecksNotRun).toEqual([
      { service: 'reviews', version: 'v1' },
      { service: 'reviews', version: 'v2' },
    ]);
    // A Node app's healthcheck is run (by node, in its namespace): nothing to warn about.
    expect(generate(m).stack.healthchecksNotRun).toEqual([]);
  });

  it('settings.gateway.address and the API port', async () => {
    const m = await model('canary');
    const stack = generateStack({
      model: { ...m, settings: { gateway: { address: '0.0.0.0', ports: { '80': 9000 } } } },
      meshDir: '/m/canary', images: IMAGES, apiPort: 25080, codeDir: '/opt/lm', bootstrap: adsBootstrap,
    });
    const services = (parse(stack.compose) as { services: Services }).services;
    expect(services['mesh-gateway']!.ports).toEqual(['0.0.0.0:9000:80']);
    expect(services['mesh-control']!.ports).toEqual(['127.0.0.1:25080:15080']);
    expect(stack.gateways).toEqual(['http://127.0.0.1:9000/']);
    expect(stack.api).toBe('http://127.0.0.1:25080');
  });

  it('a command inside the mesh directory mounts the directory itself', async () => {
    const m = await model('canary');
    const local = mapVersions(m, (v) => ({ ...v, spec: { replicas: 1, command: ['node', 'server.mjs'] } }));
    const { services } = generate(local);
    expect(services['reviews-v1']).toMatchObject({ volumes: ['.:/app:ro'], working_dir: '/app' });
  });
});

describe('images and names', () => {
  it('images: settings.images, then LOCALMESH_<ROLE>_IMAGE, then templates/docker/images.json', () => {
    expect(resolveImages({}, {})).toEqual(IMAGES);
    // By default the official Envoy and Node images, and localmesh's own init tagged by its inputs' hash.
    expect(IMAGES).toEqual({ envoy: expect.stringMatching(/^envoyproxy\/envoy:v/), node: expect.stringMatching(/^node:24/), init: expect.stringMatching(/^localmesh\/init:[0-9a-f]{12}$/) });
    const images = resolveImages({ images: { envoy: 'mine/envoy:1' } }, { LOCALMESH_ENVOY_IMAGE: 'env/envoy:2', LOCALMESH_NODE_IMAGE: 'env/node:3' });
    expect(images).toEqual({ ...IMAGES, envoy: 'mine/envoy:1', node: 'env/node:3' });
  });

  it('the Compose project name comes from the mesh name', () => {
    expect(projectName('canary')).toBe('canary');
    expect(projectName('My Shop.v2')).toBe('my-shop-v2');
    expect(projectName('--x')).toBe('x');
  });
});
