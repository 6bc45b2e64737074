// `mesh control` as the process runtime runs it: a child process on a copy of the canary example
// with a port map, real Envoys (gateway and two sidecars) on ADS bootstraps, and the apps. A
// save of the weights file changes what Envoy has; a broken save changes nothing and /status
// points at it; the CLI reads the same API.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { cp, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adsBootstrap } from '../../../src/xds/bootstrap.ts';
import { RESOURCE_KINDS } from '../../../src/envoy/snapshot.ts';
import type { ControlStatus } from '../../../src/control/controller.ts';
import type { ControlEvent } from '../../../src/control/events.ts';
import type { TrafficReport } from '../../../src/control/traffic.ts';
import type { ProxyStatus } from '../../../src/xds/types.ts';
import { startEnvoy, type EnvoyProcess } from '../../helpers/envoy.ts';
import { freePorts } from '../../helpers/ports.ts';
import { sendMany } from '../../helpers/traffic.ts';
import { startUpstream, type Upstream } from '../../helpers/upstream.ts';
import { syncedPlainText, waitFor } from '../../helpers/xds-mesh.ts';
import { readEvents } from '../../helpers/events.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;
const PROXIES = ['mesh-gateway', 'reviews-v1', 'reviews-v2'];

let dir: string;
let control: ChildProcess;
let output = '';
let api: string;
let ports: Record<string, number>;
const envoys = new Map<string, EnvoyProcess>();
const apps: Upstream[] = [];

const get = async <T>(path: string): Promise<T> => (await (await fetch(`${api}${path}`)).json()) as T;

async function save(file: string, change: (text: string) => string): Promise<number> {
  // As editors do: write a temp file beside it, rename it over the original.
  const path = join(dir, file);
  const text = change(await readFile(path, 'utf8'));
  await writeFile(`${path}.tmp~`, text);
  const at = Date.now();
  await rename(`${path}.tmp~`, path);
  return at;
}

/** The weights of the gateway's route as Envoy has them (its admin /config_dump). */
async function gatewayWeights(): Promise<Record<string, number>> {
  const dump = (await (await fetch(`${envoys.get('mesh-gateway')!.adminUrl}/config_dump?resource=dynamic_route_configs`)).json()) as {
    configs: Array<{ route_config: { virtual_hosts: Array<{ routes: Array<{ route?: { weighted_clusters?: { clusters: Array<{ name: string; weight: number }> } } }> }> } }>;
  };
  const clusters = dump.configs.flatMap((c) => c.route_config.virtual_hosts.flatMap((vh) => vh.routes.flatMap((r) => r.route?.weighted_clusters?.clusters ?? [])));
  return Object.fromEntries(clusters.map((c) => [c.name.split('|')[2], c.weight]));
}

const synced = async () => {
  const proxies = await get<ProxyStatus[]>('/proxies');
  return PROXIES.every((id) => proxies.some((p) => p.id === id && syncedPlainText(p)));
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'localmesh-control-'));
  await cp(EXAMPLE, dir, { recursive: true });
  for (const version of ['v1', 'v2']) apps.push(await startUpstream('reviews', version));
  const [xds, apiPort, ...free] = await freePorts(12);
  const take = () => free.shift()!;
  ports = { 'gateway 80': take() };
  for (const [i, version] of ['v1', 'v2'].entries()) {
    const proxy = `reviews-${version}`;
    Object.assign(ports, {
      [`outbound ${proxy}`]: take(),
      [`inbound ${proxy} 9080`]: take(),
      [`app ${proxy} 9080`]: apps[i]!.port,
      [`admin ${proxy}`]: take(),
    });
  }
  ports['admin mesh-gateway'] = take();
  await writeFile(join(dir, '.ports.json'), JSON.stringify({ listenAddress: '127.0.0.1', ports }));
  api = `http://127.0.0.1:${apiPort}`;
  control = spawn(
    process.execPath,
    ['bin/mesh.js', 'control', '--dir', dir, '--xds-port', String(xds), '--api-port', String(apiPort), '--addressing', join(dir, '.ports.json')],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  control.stdout!.on('data', (d) => (output += d));
  control.stderr!.on('data', (d) => (output += d));
  await waitFor(async () => (await fetch(`${api}/status`).then((r) => r.ok, () => false)), () => `mesh control did not start:\n${output}`, 15_000);
  for (const proxy of PROXIES) {
    const [service, version] = proxy === 'mesh-gateway' ? [] : proxy.split('-');
    const bootstrap = adsBootstrap({ proxy, service, version, xdsHost: '127.0.0.1', xdsPort: xds!, adminPort: ports[`admin ${proxy}`]!, listenAddress: '127.0.0.1' });
    envoys.set(proxy, await startEnvoy(proxy, bootstrap));
  }
  await waitFor(synced, () => `proxies not SYNCED:\n${output}`, 10_000);
});

afterAll(async () => {
  control?.kill('SIGTERM');
  await Promise.all([...envoys.values()].map((e) => e.stop()));
  await Promise.all(apps.map((a) => a.close()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

const gateway = () => ({ port: ports['gateway 80']!, path: '/' });

describe('mesh control', () => {
  it('serves the mesh: every proxy SYNCED, traffic split 90/10, reported by /traffic from the proxies’ stats', async () => {
    expect(await gatewayWeights()).toEqual({ v1: 90, v2: 10 });
    const status = await get<ControlStatus>('/status');
    expect(status).toMatchObject({ valid: true, diagnostics: [], proxies: PROXIES });
    const tally = await sendMany(100, gateway());
    expect(tally.byStatus, tally.summary).toEqual({ 200: 100 });
    let report: TrafficReport | undefined;
    await waitFor(
      async () => {
        report = await get<TrafficReport>('/traffic');
        // Latency comes from Envoy's histograms, which move at each stats flush (every second).
        const route = report.routes.find((r) => r.route === 'reviews.0');
        return report.proxies.every((p) => p.reachable) && report.subsets.reduce((n, s) => n + s.requests, 0) >= 100 && route?.p50Ms != null;
      },
      () => JSON.stringify(report),
      3000,
    );
    expect(report!.proxies.map((p) => [p.proxy, p.reachable])).toEqual(PROXIES.map((p) => [p, true]));
    const v1 = report!.subsets.filter((s) => s.subset === 'v1').reduce((n, s) => n + s.requests, 0);
    expect(v1).toBeGreaterThan(60);
    expect(report!.routes.find((r) => r.route === 'reviews.0')).toMatchObject({ requests: 100, successRate: 1 });
    const route = report!.routes.find((r) => r.route === 'reviews.0')!;
    expect(route.rps).toBeGreaterThan(0);
    expect(route.p50Ms).toBeGreaterThan(0);
    expect(route.p99Ms).toBeGreaterThanOrEqual(route.p50Ms!);
  });

  it('a saved weight edit reaches Envoy: /config_dump shows the new weights, events tell each step', async () => {
    const savedAt = await save('reviews.yaml', (t) => t.replace('weight: 90', 'weight: 25').replace('weight: 10', 'weight: 75'));
    await waitFor(async () => JSON.stringify(await gatewayWeights()) === JSON.stringify({ v1: 25, v2: 75 }), () => output, 5000);
    const tookMs = Date.now() - savedAt;
    expect(tookMs).toBeLessThan(2000);
    await waitFor(synced, () => output);
    const tally = await sendMany(200, gateway());
    expect(tally.byVersion.v2, tally.summary).toBeGreaterThan(110);

    // The events, as SSE, replayed on connect: changed → compiled → pushed routes → acked routes.
    const events = (await readEvents(`${api}/events`, { quietMs: 200 })) as LooseEvent[];
    const last = events.slice(events.findLastIndex((e) => e.type === 'changed'));
    const order = last.filter((e) => e.proxy === undefined || e.proxy === 'mesh-gateway').map((e) => (e.kind ? `${e.type} ${e.kind}` : e.type));
    expect(order).toEqual(['changed', 'compiled', 'pushed routes', 'acked routes']);
    expect(last.every((e) => typeof e.at === 'number')).toBe(true);
    expect(last.find((e) => e.type === 'acked')!.ms).toBeGreaterThanOrEqual(0);
  });

  it('a broken save changes nothing in Envoy, and /status shows where the mistake is', async () => {
    const before = (await get<ControlStatus>('/status')).version;
    await save('reviews.yaml', (t) => t.replace('subset: v2', 'subset: v9'));
    let status: ControlStatus | undefined;
    await waitFor(async () => (status = await get<ControlStatus>('/status')).valid === false, () => output);
    expect(status!.version).toBe(before);
    expect(status!.diagnostics[0]).toMatchObject({ file: join(dir, 'reviews.yaml'), line: 18, col: 21, severity: 'error' });
    expect(output).toContain(`${join(dir, 'reviews.yaml')}:18:21: error: subset 'v9' is not defined`);
    expect(await gatewayWeights()).toEqual({ v1: 25, v2: 75 });
    expect(await synced()).toBe(true);

    const run = promisify(execFile);
    const ps = await run(process.execPath, ['bin/mesh.js', 'proxy-status', '--api', api]);
    expect(ps.stdout).toContain(`Serving version ${before}`);
    expect(ps.stdout).toContain('reviews.yaml:18:21');
    expect(ps.stdout).toMatch(/mesh-gateway\s+yes\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED/);
    const pc = await run(process.execPath, ['bin/mesh.js', 'proxy-config', 'mesh-gateway', 'routes', '--api', api]);
    expect(pc.stdout).toMatch(/outbound\|9080\|v1\|reviews\.default\.svc\.cluster\.local 25, outbound\|9080\|v2\|reviews\.default\.svc\.cluster\.local 75/);
  });
});

type LooseEvent = ControlEvent & { proxy?: string; kind?: string };

describe('mistakes, as sentences', () => {
  const run = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await promisify(execFile)(process.execPath, ['bin/mesh.js', ...args]);
      return { code: 0, stdout, stderr };
    } catch (error) {
      return error as { code: number; stdout: string; stderr: string };
    }
  };

  it('no control plane: proxy-status and proxy-config say how to start one', async () => {
    const [port] = await freePorts(1);
    for (const args of [['proxy-status'], ['proxy-config', 'reviews-v1']]) {
      const result = await run(...args, '--api', `http://127.0.0.1:${port}`);
      expect(result.code).toBe(1);
      expect(result.stderr).toContain(`No control plane answers at http://127.0.0.1:${port} (ECONNREFUSED). Start one with \`mesh control --dir DIR\``);
    }
  });

  it('mesh control: a port in use, or a port map that is not one', async () => {
    const busy = await run('control', '--dir', dir, '--xds-port', '0', '--api-port', api.split(':').at(-1)!);
    expect(busy).toMatchObject({ code: 1, stderr: expect.stringContaining('is in use: is another control plane running?') });
    await writeFile(join(dir, '.bad.json'), '{"ports": {"outbound reviews-v1": "x"}}');
    const bad = await run('control', '--dir', dir, '--addressing', join(dir, '.bad.json'));
    expect(bad).toMatchObject({ code: 1, stderr: expect.stringContaining(`gives "outbound reviews-v1" the port "x", not a port number`) });
  });
});
