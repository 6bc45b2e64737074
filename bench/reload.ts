// Benchmark: hot reload on the process runtime. A generated mesh of 10 proxies (3 services × 3
// versions and the gateway; one VirtualService bound to the gateway and the sidecars, so every
// proxy gets each change) runs under `mesh up -d`. 100 weight edits, each written atomically as
// `mesh weight` does; for each, the time from the write to the last proxy's routes ACK (from the
// control plane's /events). Steady load through the gateway meanwhile. Prints p50/p95/p99, the
// failed requests and the control plane's peak memory; exits 1 past the bounds.
//   node bench/reload.ts [--edits N] [--clients N]   (--clients: the load's concurrent requests, 4; 0: no load)
import { execFileSync } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadMesh } from '../src/config/index.ts';
import { stageAtomically } from '../src/config/apply-edit.ts';
import { findWeightedRoute, setWeights } from '../src/config/edit-weights.ts';
import type { ControlEvent } from '../src/control/events.ts';
import { freePorts } from '../src/runtime/ports.ts';
import { readState } from '../src/runtime/process/state.ts';
import { send } from '../test/helpers/traffic.ts';

// Issue 16's bounds for 10 real proxies.
const BOUND_P95_MS = 50;
const BOUND_PEAK_MB = 120;
const { values } = parseArgs({ options: { edits: { type: 'string', default: '100' }, clients: { type: 'string', default: '4' } } });
const EDITS = Number(values.edits);
const CLIENTS = Number(values.clients);
const SERVICES = ['s0', 's1', 's2'];
const VERSIONS = ['v1', 'v2', 'v3'];
const PROXIES = 10;
const MESH = join(import.meta.dirname, '..', 'bin', 'mesh.js');

async function generate(root: string, gatewayPort: number): Promise<string> {
  const dir = join(root, 'mesh');
  await cp(join(import.meta.dirname, '..', 'examples', 'app'), join(root, 'app'), { recursive: true });
  const versions = (s: string) =>
    VERSIONS.map((v) => `        ${v}: { command: [node, ../app/server.mjs], env: { SERVICE: ${s}, VERSION: ${v} }, healthcheck: { path: /healthz } }`).join('\n');
  await mkdir(dir);
  await writeFile(join(dir, 'mesh.yaml'), `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: reload-bench }
spec:
  settings: { gateway: { ports: { "80": ${gatewayPort} } } }
  services:
${SERVICES.map((s) => `    ${s}:\n      ports: [{ port: 9080 }]\n      versions:\n${versions(s)}`).join('\n')}
`);
  await writeFile(join(dir, 'istio.yaml'), `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: gw }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
# Bound to the gateway and to every sidecar: an edit reaches all ${PROXIES} proxies.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: s0 }
spec:
  hosts: [s0, s0.example.com]
  gateways: [gw, mesh]
  http:
    - route:
        - destination: { host: s0, subset: v1 }
          weight: 80   # stable
        - destination: { host: s0, subset: v2 }
          weight: 20   # canary
        - destination: { host: s0, subset: v3 }
          weight: 0
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: s0 }
spec:
  host: s0
  subsets: [${VERSIONS.map((v) => `{ name: ${v}, labels: { version: ${v} } }`).join(', ')}]
`);
  return dir;
}

/** The control plane's events as they come (SSE), for waiting on ACKs. */
async function subscribe(api: string, onEvent: (e: ControlEvent) => void): Promise<AbortController> {
  const abort = new AbortController();
  const res = await fetch(`${api}/events`, { signal: abort.signal });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const data = buffer.slice(0, end).split('\n').find((l) => l.startsWith('data: '));
          buffer = buffer.slice(end + 2);
          if (data) onEvent(JSON.parse(data.slice(6)) as ControlEvent);
        }
      }
    } catch {
      // aborted
    }
  })();
  return abort;
}

/** Peak resident memory (VmHWM) of the control plane's node process, in MB. */
async function controlPeakMb(dir: string): Promise<number> {
  const state = (await readState(dir))!;
  const keeper = state.processes.find((p) => p.name === 'mesh-control')!;
  const pids = execFileSync('pgrep', ['-g', String(keeper.pid)], { encoding: 'utf8' }).trim().split('\n');
  let peak = 0;
  for (const pid of pids) {
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
  }
  return peak;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const root = await mkdtemp(join(tmpdir(), 'localmesh-bench-reload-'));
const [gatewayPort] = await freePorts(1);
const dir = await generate(root, gatewayPort!);
const mesh = (...args: string[]) => execFileSync(process.execPath, [MESH, ...args], { encoding: 'utf8', stdio: 'pipe' });
let exitCode = 0;
try {
  console.log(`mesh up --runtime process -d (${PROXIES} proxies)`);
  mesh('up', '--runtime', 'process', '-d', dir);
  const api = (await readState(dir))!.api;

  // Per edit: when the watcher saw it, when it was compiled and published, each proxy's ACK.
  let waiting: { since: number; seen?: number; compiled?: number; acked: Map<string, number>; done(): void } | undefined;
  const events = await subscribe(api, (e) => {
    if (!waiting || e.at < waiting.since) return;
    if (e.type === 'changed') waiting.seen ??= e.at;
    if (e.type === 'compiled') waiting.compiled ??= e.at;
    if (e.type === 'acked' && e.kind === 'routes') {
      waiting.acked.set(e.proxy, e.at);
      if (waiting.acked.size === PROXIES) waiting.done();
    }
  });

  // Steady load through the gateway for the whole run.
  const agent = new Agent({ keepAlive: true, maxSockets: Math.max(1, CLIENTS) });
  let loading = true;
  let requests = 0;
  let failures = 0;
  const load = Array.from({ length: CLIENTS }, async () => {
    while (loading) {
      const r = await send({ port: gatewayPort!, path: '/', headers: { host: 's0.example.com' }, timeoutMs: 5000 }, agent);
      requests++;
      if (r.status !== 200) failures++;
    }
  });

  const file = join(dir, 'istio.yaml');
  const latencies: number[] = [];
  const phases = { seen: [] as number[], compiled: [] as number[], acked: [] as number[] };
  for (let i = 0; i < EDITS; i++) {
    const v1 = (i * 37) % 101;
    const weights = { v1, v2: 100 - v1, v3: 0 };
    const { model } = await loadMesh(dir);
    const target = findWeightedRoute(model!, { host: 's0', weights });
    if ('error' in target) throw new Error(target.error.message);
    const edit = setWeights(await readFile(file, 'utf8'), target, weights);
    if ('error' in edit) throw new Error(edit.error.message);
    const rename = await stageAtomically(file, edit.text);
    const acked = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`edit ${i}: only ${waiting?.acked.size} of ${PROXIES} proxies ACKed within 5 s`)), 5000);
      waiting = { since: Date.now(), acked: new Map(), done: () => (clearTimeout(timer), resolve()) };
    });
    // The edit written as `mesh weight` writes it; timed from the rename, when it can first be seen.
    const written = Date.now();
    await rename();
    await acked;
    const last = Math.max(...waiting!.acked.values());
    latencies.push(last - written);
    const { seen = written, compiled = seen } = waiting!;
    phases.seen.push(seen - written);
    phases.compiled.push(compiled - seen);
    phases.acked.push(last - compiled);
    await new Promise((r) => setTimeout(r, 20));
  }
  loading = false;
  await Promise.all(load);
  agent.destroy();
  events.abort();

  const sorted = [...latencies].sort((a, b) => a - b);
  const peak = await controlPeakMb(dir);
  console.log(`${EDITS} edits, write → every proxy's routes ACK (${PROXIES} proxies):`);
  console.log(`  p50 ${pct(sorted, 0.5)} ms, p95 ${pct(sorted, 0.95)} ms, p99 ${pct(sorted, 0.99)} ms, max ${sorted.at(-1)} ms (bound: p95 < ${BOUND_P95_MS} ms)`);
  const at = (list: number[], p: number) => pct([...list].sort((a, b) => a - b), p);
  for (const p of [0.5, 0.95]) {
    console.log(
      `  p${p * 100} by step: write → watcher saw it ${at(phases.seen, p)} ms, → compiled and published ` +
        `${at(phases.compiled, p)} ms (the debounce included), → last ACK ${at(phases.acked, p)} ms`,
    );
  }
  console.log(`  requests under steady load: ${requests}, failed: ${failures} (bound: 0)`);
  console.log(`  control plane peak memory (VmHWM): ${peak.toFixed(0)} MB (bound: < ${BOUND_PEAK_MB} MB)`);
  if (pct(sorted, 0.95) >= BOUND_P95_MS || failures > 0 || peak >= BOUND_PEAK_MB) exitCode = 1;
} finally {
  mesh('down', dir);
  await rm(root, { recursive: true, force: true });
}
process.exit(exitCode);
