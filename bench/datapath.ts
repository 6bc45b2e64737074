// Benchmark: the data path, side by side. examples/canary on the process runtime (all traffic to
// reviews v1) and the project's load generator at a fixed rate (default 1000 rps, 16 connections)
// to: the app directly; through reviews-v1's sidecar (its inbound listener); through a client
// sidecar and the server's (reviews-v2's outbound listener, Host: reviews:9080, as a meshed app
// calls); through the gateway (gateway → server sidecar → app); and through a minimal static Envoy
// (one listener, one route, one cluster to the app; the same Envoy, --concurrency 1) as the floor.
// The paths take turns, --rounds times (each after 1 s of warm-up): a machine's calm comes and goes,
// and each path gets its share of both; a figure is the median over the rounds.
// Last, the server sidecar while someone watches (a tap stream open: every request logged and
// traced, compile/runtime.ts), to show what watching costs.
// Prints p50/p90/p99 for each and what each hop adds over the direct call, and the server
// sidecar's added latency (nobody watching, the default) as a ratio to the minimal Envoy's.
// Exits 1 when that ratio passes 1.2 at p50 or p90 (issue 16's bound).
//   node bench/datapath.ts [--rps 1000] [--seconds 10] [--rounds 3] [--connections 16]
import { execFileSync, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { portKey } from '../src/config/names.ts';
import { watchRequests } from '../src/control/client.ts';
import { startLoad, type LoadResult } from '../src/load/generator.ts';
import { freePorts } from '../src/runtime/ports.ts';
import { findEnvoy } from '../src/runtime/process/envoy-binary.ts';
import { readState, statePaths } from '../src/runtime/process/state.ts';

const BOUND_RATIO = 1.2;
const { values } = parseArgs({
  options: { rps: { type: 'string', default: '1000' }, seconds: { type: 'string', default: '10' }, rounds: { type: 'string', default: '3' }, connections: { type: 'string', default: '16' } },
});
const RPS = Number(values.rps);
const SECONDS = Number(values.seconds);
const ROUNDS = Number(values.rounds);
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

interface Figures {
  requests: number;
  notOk: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
}

/** One round of a path: a second of warm-up (connections, Envoy's first requests), not counted, then SECONDS / ROUNDS. */
async function round(url: string, headers: Record<string, string>): Promise<LoadResult> {
  await startLoad({ url, rps: RPS, durationMs: 1000, concurrency: CONNECTIONS, headers }).done;
  return startLoad({ url, rps: RPS, durationMs: (SECONDS * 1000) / ROUNDS, concurrency: CONNECTIONS, headers }).done;
}

const median = (values: Array<number | null>) => {
  const sorted = values.map((v) => v ?? NaN).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

/** Each path in turn, ROUNDS times; per path the sums of the counts and the medians of the percentiles. */
async function measure(paths: Array<{ name: string; url: string; headers?: Record<string, string> }>): Promise<Figures[]> {
  const rounds: LoadResult[][] = paths.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, path] of paths.entries()) rounds[i]!.push(await round(path.url, path.headers ?? {}));
  }
  return paths.map((path, i) => {
    const results = rounds[i]!;
    const requests = results.reduce((n, r) => n + r.requests, 0);
    const figures = {
      requests,
      notOk: requests - results.reduce((n, r) => n + (r.byStatus['200'] ?? 0), 0),
      p50Ms: median(results.map((r) => r.p50Ms)),
      p90Ms: median(results.map((r) => r.p90Ms)),
      p99Ms: median(results.map((r) => r.p99Ms)),
    };
    print(path.name, figures);
    return figures;
  });
}

function print(name: string, f: Figures): void {
  console.log(`${name.padEnd(34)} ${String(f.requests).padStart(6)} req  p50 ${fmt(f.p50Ms)}  p90 ${fmt(f.p90Ms)}  p99 ${fmt(f.p99Ms)}${f.notOk ? `  (${f.notOk} not 200)` : ''}`);
}

const fmt = (ms: number) => (Number.isNaN(ms) ? '   -   ' : `${ms.toFixed(2).padStart(6)} ms`);

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

  console.log(`${RPS} requests/s over ${CONNECTIONS} connections, ${SECONDS} s per path in ${ROUNDS} turns (medians over the turns):`);
  const [direct, floor, server, both, gateway] = await measure([
    { name: 'direct to the app', url: `http://127.0.0.1:${appPort}/` },
    { name: 'minimal static Envoy', url: `http://127.0.0.1:${minimalPort}/` },
    { name: 'server sidecar (inbound)', url: `http://127.0.0.1:${inbound}/` },
    { name: 'client + server sidecars', url: `http://127.0.0.1:${outbound}/`, headers: { host: 'reviews:9080' } },
    { name: 'gateway + server sidecar', url: `http://127.0.0.1:${gatewayPort}/` },
  ]) as [Figures, Figures, Figures, Figures, Figures];
  // Watched: a tap stream open (as `mesh tap` or the dashboard holds one), once the proxies log every request.
  const api = (await readState(dir))?.control.apiPort;
  if (!api) throw new Error('the mesh runs without a control plane API port');
  const unwatch = await watchRequests(`http://127.0.0.1:${api}`);
  const [watched] = await measure([{ name: 'server sidecar, watched (tap open)', url: `http://127.0.0.1:${inbound}/` }]) as [Figures];
  unwatch();

  const added = (r: Figures, p: 'p50Ms' | 'p90Ms') => r[p] - direct[p];
  console.log('\nadded over the direct call (ms)      p50     p90');
  for (const [name, r] of [['minimal Envoy', floor], ['server sidecar', server], ['client + server sidecars', both], ['gateway + server sidecar', gateway], ['server sidecar, watched', watched]] as const) {
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
