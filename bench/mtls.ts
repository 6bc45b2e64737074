// Benchmark: what mTLS costs between two sidecars. examples/canary on the process runtime (all
// traffic to reviews v1), the load generator at a fixed rate through reviews-v2's sidecar to
// reviews-v1's (Host: reviews:9080, as a meshed app calls): first in plain text, then after a
// mesh-wide STRICT PeerAuthentication is saved and every proxy has its certificate over SDS.
// Prints p50/p90/p99 side by side, what mTLS adds, and the TLS handshakes the server sidecar did.
//   node bench/mtls.ts [--rps 500] [--seconds 10] [--connections 16]
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { portKey } from '../src/config/names.ts';
import { startLoad, type LoadResult } from '../src/load/generator.ts';
import { freePorts } from '../src/runtime/ports.ts';
import { readState, statePaths } from '../src/runtime/process/state.ts';
import type { ProxyStatus } from '../src/xds/types.ts';

const { values } = parseArgs({ options: { rps: { type: 'string', default: '500' }, seconds: { type: 'string', default: '10' }, connections: { type: 'string', default: '16' } } });
const RPS = Number(values.rps);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
const REPO = join(import.meta.dirname, '..');
const MESH = join(REPO, 'bin', 'mesh.js');
const STRICT = 'apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: default, namespace: istio-system }\nspec: { mtls: { mode: STRICT } }\n';

const mesh = (...args: string[]) => execFileSync(process.execPath, [MESH, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOCALMESH_API_PORT: '0' } });
const fmt = (ms: number | null) => (ms === null ? '   -   ' : `${ms.toFixed(2).padStart(6)} ms`);

async function measure(url: string): Promise<LoadResult> {
  await startLoad({ url, rps: RPS, durationMs: 1000, concurrency: CONNECTIONS, headers: { host: 'reviews:9080' } }).done;
  return startLoad({ url, rps: RPS, durationMs: SECONDS * 1000, concurrency: CONNECTIONS, headers: { host: 'reviews:9080' } }).done;
}

/** The server sidecar's TLS handshakes, summed over its listeners. */
async function handshakeCount(adminPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${adminPort}/stats?filter=ssl.handshake`)).text();
  return text.split('\n').reduce((sum, line) => sum + Number(/^listener\..*\.ssl\.handshake: (\d+)$/.exec(line)?.[1] ?? 0), 0);
}

const root = await mkdtemp(join(tmpdir(), 'localmesh-bench-mtls-'));
const dir = join(root, 'canary');
await cp(join(REPO, 'examples', 'canary'), dir, { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
await cp(join(REPO, 'examples', 'app'), join(root, 'app'), { recursive: true });
const [gatewayPort] = await freePorts(1);
const meshFile = join(dir, 'mesh.yaml');
await writeFile(meshFile, (await readFile(meshFile, 'utf8')).replace(/("80": )\d+/, `$1${gatewayPort}`).replace(/^( {2}name: )\S+$/m, `$1bench-mtls-${process.pid}`));
const reviews = join(dir, 'reviews.yaml');
await writeFile(reviews, (await readFile(reviews, 'utf8')).replace(/weight: 90\b/, 'weight: 100').replace(/weight: 10\b/, 'weight: 0'));
try {
  mesh('up', '--runtime', 'process', '-d', dir);
  const ports = (JSON.parse(await readFile(statePaths(dir).portMap, 'utf8')) as { ports: Record<string, number> }).ports;
  const url = `http://127.0.0.1:${ports[portKey.outbound('reviews-v2')]}/`;
  const admin = ports[portKey.admin('reviews-v1')]!;
  console.log(`${RPS} requests/s for ${SECONDS} s over ${CONNECTIONS} connections, reviews-v2's sidecar → reviews-v1's, after 1 s of warm-up:`);
  const plain = await measure(url);
  await writeFile(join(dir, 'peer-authentication.yaml'), STRICT);
  const api = (await readState(dir))!.api;
  for (let i = 0; ; i++) {
    const proxies = (await (await fetch(`${api}/proxies`)).json()) as ProxyStatus[];
    if (proxies.filter((p) => p.connected).every((p) => p.sync === 'SYNCED' && p.types.secrets.state === 'SYNCED')) break;
    if (i > 100) throw new Error(`the proxies did not get their certificates within 10 s: ${JSON.stringify(proxies.map((p) => [p.id, p.connected, p.sync, p.types.secrets.state]))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const before = await handshakeCount(admin);
  const mtls = await measure(url);
  const handshakes = (await handshakeCount(admin)) - before;
  const row = (name: string, r: LoadResult) =>
    console.log(`${name.padEnd(12)} ${String(r.requests).padStart(6)} req  p50 ${fmt(r.p50Ms)}  p90 ${fmt(r.p90Ms)}  p99 ${fmt(r.p99Ms)}  (${r.requests - (r.byStatus['200'] ?? 0)} not 200)`);
  row('plain text', plain);
  row('mTLS', mtls);
  const add = (p: 'p50Ms' | 'p90Ms' | 'p99Ms') => ((mtls[p] ?? NaN) - (plain[p] ?? NaN)).toFixed(2);
  console.log(`mTLS adds    p50 ${add('p50Ms')} ms  p90 ${add('p90Ms')} ms  p99 ${add('p99Ms')} ms; ${handshakes} TLS handshake(s) on reviews-v1's inbound listener (connections are pooled)`);
} finally {
  execFileSync(process.execPath, [MESH, 'down', dir], { stdio: 'ignore' });
  await rm(root, { recursive: true, force: true });
}
