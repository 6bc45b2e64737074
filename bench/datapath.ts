// Benchmark: the data path, side by side. examples/canary on the process runtime (all traffic to
// reviews v1) and the project's load generator at a fixed rate (default 1000 rps, 16 connections)
// to: the app directly; through reviews-v1's sidecar (its inbound listener); through a client
// sidecar and the server's (reviews-v2's outbound listener, Host: reviews:9080, as a meshed app
// calls); through the gateway (gateway → server sidecar → app); and through a minimal static Envoy
// (one listener, one route, one cluster to the app; the same Envoy, --concurrency 1) as the floor.
// Prints p50/p90/p99 for each and what each hop adds over the direct call, and the server
// sidecar's added latency as a ratio to the minimal Envoy's. Exits 1 when that ratio passes 1.2
// at p50 or p90 (issue 16's bound).
//   node bench/datapath.ts [--rps 1000] [--seconds 10] [--connections 16]
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { portKey } from '../src/config/names.ts';
import { startLoad, type LoadResult } from '../src/load/generator.ts';
import { freePorts } from '../src/runtime/ports.ts';
import { findEnvoy } from '../src/runtime/process/envoy-binary.ts';
import { statePaths } from '../src/runtime/process/state.ts';

const BOUND_RATIO = 1.2;
const { values } = parseArgs({ options: { rps: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
const RPS = Number(values.rps);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const REPO = join(import.meta.dirname, '..');
const MESH = join(REPO, 'bin', 'mesh.js');

function mesh(...args: string[]): void {
  execFileSync(process.execPath, [MESH, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOCALMESH_API_PORT: '0' } });
}

/** The minimal Envoy: one listener on `port`, every request routed to the app on `appPort`. */
function minimalEnvoyConfig(port: number, appPort: number, adminPort: number) {
  return {
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [{
        name: 'minimal',
        address: { socket_address: { address: '127.0.0.1', port_value: port } },
        filter_chains: [{
          filters: [{
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
              stat_prefix: 'minimal',
              route_config: { virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'app' } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
            },
          }],
        }],
      }],
      clusters: [{
        name: 'app',
        type: 'STATIC',
        connect_timeout: '1s',
        load_assignment: { cluster_name: 'app', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: appPort } } } }] }] },
      }],
    },
  };
}

async function measure(name: string, url: string, headers: Record<string, string> = {}): Promise<LoadResult> {
  // A second of warm-up (connections, Envoy's first requests), not counted.
  await startLoad({ url, rps: RPS, durationMs: 1000, concurrency: CONNECTIONS, headers }).done;
  const result = await startLoad({ url, rps: RPS, durationMs: SECONDS * 1000, concurrency: CONNECTIONS, headers }).done;
  const bad = result.requests - (result.byStatus['200'] ?? 0);
  console.log(`${name.padEnd(28)} ${String(result.requests).padStart(6)} req  ${result.rps.toFixed(0).padStart(5)}/s  p50 ${fmt(result.p50Ms)}  p90 ${fmt(result.p90Ms)}  p99 ${fmt(result.p99Ms)}${bad ? `  (${bad} not 200)` : ''}`);
  return result;
}
const fmt = (ms: number | null) => (ms === null ? '   -   ' : `${ms.toFixed(2).padStart(6)} ms`);

const root = await mkdtemp(join(tmpdir(), 'localmesh-bench-datapath-'));
const dir = join(root, 'canary');
await cp(join(REPO, 'examples', 'canary'), dir, { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
await cp(join(REPO, 'examples', 'app'), join(root, 'app'), { recursive: true });
const [gatewayPort, minimalPort, minimalAdmin] = await freePorts(3);
const meshFile = join(dir, 'mesh.yaml');
await writeFile(meshFile, (await readFile(meshFile, 'utf8')).replace(/("80": )\d+/, `$1${gatewayPort}`).replace(/^( {2}name: )\S+$/m, `$1bench-datapath-${process.pid}`));
const reviews = join(dir, 'reviews.yaml');
await writeFile(reviews, (await readFile(reviews, 'utf8')).replace(/weight: 90\b/, 'weight: 100').replace(/weight: 10\b/, 'weight: 0'));

let minimal: ReturnType<typeof spawn> | undefined;
let failed = false;
try {
  mesh('up', '--runtime', 'process', '-d', dir);
  const ports = (JSON.parse(await readFile(statePaths(dir).portMap, 'utf8')) as { ports: Record<string, number> }).ports;
  const appPort = ports[portKey.app('reviews-v1', 9080)]!;
  const inbound = ports[portKey.inbound('reviews-v1', 9080)]!;
  const outbound = ports[portKey.outbound('reviews-v2')]!;
  const config = join(root, 'minimal.json');
  await writeFile(config, JSON.stringify(minimalEnvoyConfig(minimalPort!, appPort, minimalAdmin!)));
  minimal = spawn(findEnvoy(), ['-c', config, '--concurrency', '1', '--use-dynamic-base-id', '--log-level', 'error'], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(await fetch(`http://127.0.0.1:${minimalPort}/`).then((r) => r.ok, () => false)); i++) await new Promise((r) => setTimeout(r, 100));

  console.log(`${RPS} requests/s for ${SECONDS} s over ${CONNECTIONS} connections, each path after 1 s of warm-up:`);
  const direct = await measure('direct to the app', `http://127.0.0.1:${appPort}/`);
  const floor = await measure('minimal static Envoy', `http://127.0.0.1:${minimalPort}/`);
  const server = await measure('server sidecar (inbound)', `http://127.0.0.1:${inbound}/`);
  const both = await measure('client + server sidecars', `http://127.0.0.1:${outbound}/`, { host: 'reviews:9080' });
  const gateway = await measure('gateway + server sidecar', `http://127.0.0.1:${gatewayPort}/`);

  const added = (r: LoadResult, p: 'p50Ms' | 'p90Ms') => (r[p] ?? NaN) - (direct[p] ?? NaN);
  console.log('\nadded over the direct call (ms)      p50     p90');
  for (const [name, r] of [['minimal Envoy', floor], ['server sidecar', server], ['client + server sidecars', both], ['gateway + server sidecar', gateway]] as const) {
    console.log(`${name.padEnd(34)} ${added(r, 'p50Ms').toFixed(2).padStart(6)}  ${added(r, 'p90Ms').toFixed(2).padStart(6)}`);
  }
  const ratio50 = added(server, 'p50Ms') / added(floor, 'p50Ms');
  const ratio90 = added(server, 'p90Ms') / added(floor, 'p90Ms');
  console.log(`server sidecar ÷ minimal Envoy (added latency): p50 ${ratio50.toFixed(2)}, p90 ${ratio90.toFixed(2)} (bound ${BOUND_RATIO})`);
  if (!(ratio50 <= BOUND_RATIO && ratio90 <= BOUND_RATIO)) {
    console.log(`FAIL: the server sidecar adds more than ${BOUND_RATIO} × what the minimal Envoy adds`);
    failed = true;
  }
} finally {
  minimal?.kill();
  execFileSync(process.execPath, [MESH, 'down', dir], { stdio: 'ignore' });
  await rm(root, { recursive: true, force: true });
}
process.exit(failed ? 1 : 0);
