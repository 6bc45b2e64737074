// Benchmark: N simulated Envoys (bench/scale/client.ts: one ADS stream each, as Envoy speaks it)
// against the real `mesh control` process, for a generated mesh where every proxy receives each
// edit (bench/scale/mesh.ts: services × 20 versions and the gateway). Per N: time from opening
// every stream to every proxy having ACKed its clusters, listeners and routes; write → every
// proxy's routes ACK over the weight edits (each written atomically as `mesh weight` does);
// control plane CPU seconds per edit and peak RSS (VmHWM), from /proc. Prints how each figure
// grows with N and exits 1 past the bounds.
// The same clients, edits and figures against go-control-plane (bench/go-control-plane: its
// snapshot cache and ADS server, serving the snapshots localmesh compiled, each edit a new
// snapshot per proxy) give the ratio localmesh ÷ go-control-plane for each; --no-go skips it.
//   node bench/scale.ts [--n 100,300,1000] [--edits 30] [--no-go]
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findWeightedRoute, setWeights } from '../src/config/edit-weights.ts';
import { loadMesh } from '../src/config/index.ts';
import { compileMesh } from '../src/compile/index.ts';
import { composeAddressing } from '../src/compile/addressing.ts';
import { SimulatedEnvoy, type Node } from './scale/client.ts';
import { exportSnapshots } from './scale/export.ts';
import { buildGoControlPlane, startGoControlPlane } from './scale/go-control-plane.ts';
import { startMeshControl, type ControlPlane } from './scale/localmesh.ts';
import { EDITED_FILE, EDITED_HOST, GATEWAY_ID, shapeFor, sidecarIds, writeMesh, type MeshShape } from './scale/mesh.ts';
import { cpuSeconds, peakRssMb } from './scale/proc.ts';

const BOUNDS = { editP95Ms: 500, firstSyncMs: 5000, peakRssMb: 400 };
const EDIT_TIMEOUT_MS = 20_000;

const { values } = parseArgs({
  options: { n: { type: 'string', default: '100,300,1000' }, edits: { type: 'string', default: '30' }, 'no-go': { type: 'boolean', default: false } },
});
const SIZES = values.n.split(',').map(Number);
const EDITS = Number(values.edits);
const WITH_GO = values['no-go'] !== true;

interface Figures {
  n: number;
  shape: MeshShape;
  firstSyncMs: number;
  edit: { p50: number; p95: number; p99: number; max: number };
  /** The p50 of each step of an edit, where the control plane tells them. */
  stepsP50: Record<string, number>;
  /** Responses each proxy ACKed per edit, by type. */
  perEdit: Record<string, number>;
  /** CPU seconds over the edits ÷ edits, background included. */
  cpuPerEditS: number;
  /** CPU seconds per second while idle (the stats scraper). */
  idleCpuPerS: number;
  /** cpuPerEditS less the idle rate over the same time. */
  editCpuS: number;
  peakRssMb: number;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

function nodes(shape: MeshShape): Node[] {
  return [
    ...sidecarIds(shape).map(({ id, service, version }) => ({ id, cluster: service, metadata: { proxy_kind: 'sidecar', service, version } })),
    { id: GATEWAY_ID, cluster: GATEWAY_ID, metadata: { proxy_kind: 'gateway' } },
  ];
}

/** Every proxy has ACKed each type it subscribes to, and its routes. */
const synced = (e: SimulatedEnvoy) => e.acked.has('routes') && e.subscribed.every((k) => e.acked.has(k));

async function allUntil(envoys: SimulatedEnvoy[], check: (e: SimulatedEnvoy) => boolean, what: string): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const behind = envoys.filter((e) => !check(e));
      const errors = [...new Set(envoys.flatMap((e) => (e.error ? [e.error.message] : [])))];
      reject(new Error(`${what}: ${behind.length} of ${envoys.length} proxies not there after ${EDIT_TIMEOUT_MS / 1000} s` +
        ` (e.g. ${behind[0]?.node.id}${errors.length ? `; stream errors: ${errors.join('; ')}` : ''})`));
    }, EDIT_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all(envoys.map((e) => e.until(() => check(e) || e.error !== undefined))), timeout]);
  } finally {
    clearTimeout(timer);
  }
  const failed = envoys.find((e) => e.error);
  if (failed) throw new Error(`${what}: the stream of ${failed.node.id} failed: ${failed.error!.message}`);
  const nacked = envoys.find((e) => e.nacks.length > 0);
  if (nacked) throw new Error(`${what}: ${nacked.node.id} NACKed ${nacked.nacks[0]!.kind}: ${nacked.nacks[0]!.message}`);
}

/** The weights of edit i: v1 and v2 share 100, the other versions 0; never twice the same in a row. */
function weightsOf(i: number, shape: MeshShape): Record<string, number> {
  const v1 = (i * 37) % 101;
  return Object.fromEntries(Array.from({ length: shape.versions }, (_, v) => [`v${v + 1}`, v === 0 ? v1 : v === 1 ? 100 - v1 : 0]));
}

/**
 * A control plane under test on the mesh in `dir`: started once the mesh is compiled; `prepare`
 * readies edit i (the new istio.yaml text) and returns the change itself, which is timed.
 */
interface Target {
  plane: ControlPlane;
  prepare(i: number, text: string): Promise<() => Promise<void>>;
  /** Where the time from `written` to `acked` went, by step, in ms (mesh control only). */
  steps?(written: number, acked: number): Promise<Record<string, number>>;
}

/** `mesh control` watching `dir`: the change is the atomic write of the file. */
async function localmesh(dir: string): Promise<Target> {
  const file = join(dir, EDITED_FILE);
  const plane = await startMeshControl(dir, join(dir, '..', 'control.log'));
  return {
    plane,
    prepare: async (_i, text) => {
      await writeFile(`${file}.tmp`, text);
      return () => rename(`${file}.tmp`, file);
    },
    steps: async (written, acked) => {
      const timeline = await plane.timeline();
      const seen = timeline.changed.find((at) => at >= written - 5) ?? written;
      const compiled = timeline.compiled.find((c) => c.at >= seen) ?? { at: seen, ms: 0 };
      const pushed = Math.max(compiled.at, ...timeline.pushedRoutes.filter((at) => at >= compiled.at && at <= acked));
      return {
        'write → watcher saw it': seen - written,
        '→ compile starts (debounce)': Math.round(compiled.at - compiled.ms - seen),
        'load + validate + compile': Math.round(compiled.ms),
        '→ last routes push (publish, encode, send)': pushed - compiled.at,
        '→ last ACK': acked - pushed,
      };
    },
  };
}

/** go-control-plane serving localmesh's compile of `dir`: the change is a new snapshot per proxy. */
async function goControlPlane(dir: string, binary: string): Promise<Target> {
  const exported = async (i: number) => {
    const { model } = await loadMesh(dir);
    const path = join(dir, '..', `export-${i}.json`);
    await writeFile(path, JSON.stringify(exportSnapshots(compileMesh(model!, composeAddressing()), String(i))));
    return path;
  };
  const first = await exported(0);
  const plane = await startGoControlPlane(binary);
  await plane.load(first);
  return {
    plane,
    prepare: async (i, text) => {
      await writeFile(join(dir, EDITED_FILE), text);
      const path = await exported(i);
      return () => plane.load(path);
    },
  };
}

async function measure(n: number, start: (dir: string) => Promise<Target>): Promise<Figures> {
  const shape = shapeFor(n);
  const root = await mkdtemp(join(tmpdir(), 'localmesh-bench-scale-'));
  const dir = join(root, 'mesh');
  await writeMesh(dir, shape);
  const target = await start(dir);
  const plane = target.plane;
  const envoys = nodes(shape).map((node) => new SimulatedEnvoy(plane.address, node));
  try {
    const opened = Date.now();
    for (const e of envoys) e.start();
    await allUntil(envoys, synced, 'first sync');
    const firstSyncMs = Math.max(...envoys.map((e) => Math.max(...e.acks.map((a) => a.at)))) - opened;

    const syncAcks = envoys.map((e) => e.acks.length);
    const file = join(dir, EDITED_FILE);
    const latencies: number[] = [];
    const steps: Array<Record<string, number>> = [];
    // The control plane's CPU while nothing changes (its stats scraper reads every proxy once a
    // second), over 3 s, to tell the cost of an edit from the background.
    const idleFrom = await cpuSeconds(plane.pid);
    await new Promise((r) => setTimeout(r, 3000));
    const cpuBefore = await cpuSeconds(plane.pid);
    const idlePerS = (cpuBefore - idleFrom) / 3;
    const editsFrom = Date.now();
    for (let i = 1; i <= EDITS; i++) {
      const weights = weightsOf(i, shape);
      const { model } = await loadMesh(dir);
      const route = findWeightedRoute(model!, { host: EDITED_HOST, weights });
      if ('error' in route) throw new Error(route.error.message);
      const edit = setWeights(await readFile(file, 'utf8'), route, weights);
      if ('error' in edit) throw new Error(edit.error.message);
      const change = await target.prepare(i, edit.text);
      const before = new Map(envoys.map((e) => [e, e.acked.get('routes')]));
      const written = Date.now();
      await Promise.all([change(), allUntil(envoys, (e) => e.acked.get('routes') !== before.get(e), `edit ${i}`)]);
      const last = Math.max(...envoys.map((e) => e.acks.findLast((a) => a.kind === 'routes')!.at));
      latencies.push(last - written);
      if (target.steps) steps.push(await target.steps(written, last));
      await new Promise((r) => setTimeout(r, 50));
    }
    const cpuPerEditS = ((await cpuSeconds(plane.pid)) - cpuBefore) / EDITS;
    const backgroundPerEditS = (idlePerS * (Date.now() - editsFrom)) / 1000 / EDITS;
    const sorted = latencies.sort((a, b) => a - b);
    // What each edit cost the proxies: responses ACKed per proxy and edit, by type.
    const perEdit: Record<string, number> = {};
    for (const [j, e] of envoys.entries()) {
      for (const a of e.acks.slice(syncAcks[j])) perEdit[a.kind] = (perEdit[a.kind] ?? 0) + 1 / EDITS / envoys.length;
    }
    const stepsP50 = Object.fromEntries(
      Object.keys(steps[0] ?? {}).map((k) => [k, pct(steps.map((s) => s[k]!).sort((a, b) => a - b), 0.5)]),
    );
    return {
      perEdit,
      stepsP50,
      n,
      shape,
      firstSyncMs,
      edit: { p50: pct(sorted, 0.5), p95: pct(sorted, 0.95), p99: pct(sorted, 0.99), max: sorted.at(-1)! },
      cpuPerEditS,
      idleCpuPerS: idlePerS,
      editCpuS: cpuPerEditS - backgroundPerEditS,
      peakRssMb: await peakRssMb(plane.pid),
    };
  } finally {
    for (const e of envoys) e.close();
    await plane.stop();
    await rm(root, { recursive: true, force: true });
  }
}

function report(name: string, f: Figures): void {
  console.log(
    `${name}, N = ${f.n} sidecars + the gateway (${f.shape.services} services × ${f.shape.versions} versions): ` +
      `first full sync ${f.firstSyncMs} ms; write → all ACKed over ${EDITS} edits p50 ${f.edit.p50} ms, p95 ${f.edit.p95} ms, ` +
      `p99 ${f.edit.p99} ms, max ${f.edit.max} ms; control plane CPU ${(f.editCpuS * 1000).toFixed(0)} ms per edit ` +
      `(${(f.cpuPerEditS * 1000).toFixed(0)} ms with the background of ${(f.idleCpuPerS * 1000).toFixed(0)} ms/s while idle), ` +
      `peak RSS ${f.peakRssMb.toFixed(0)} MB; responses per proxy and edit: ` +
      Object.entries(f.perEdit).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', '),
  );
  const steps = Object.entries(f.stepsP50);
  if (steps.length > 0) console.log(`  p50 by step: ${steps.map(([k, v]) => `${k} ${v} ms`).join(', ')}`);
}

const scratch = await mkdtemp(join(tmpdir(), 'localmesh-bench-scale-go-'));
let binary = '';
try {
  if (WITH_GO) binary = buildGoControlPlane(scratch);
} catch (error) {
  console.error(`bench/scale: ${(error as Error).message}`);
  process.exit(2);
}
const results: Figures[] = [];
const reference: Figures[] = [];
try {
  for (const n of SIZES) {
    results.push(await measure(n, localmesh));
    report('localmesh', results.at(-1)!);
    if (WITH_GO) {
      reference.push(await measure(n, (dir) => goControlPlane(dir, binary)));
      report('go-control-plane', reference.at(-1)!);
    }
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}

const figures: Array<[string, (f: Figures) => number, string]> = [
  ['first full sync', (f) => f.firstSyncMs, 'ms'],
  ['write → all ACKed p95', (f) => f.edit.p95, 'ms'],
  ['CPU per edit', (f) => f.editCpuS * 1000, 'ms'],
  ['peak RSS', (f) => f.peakRssMb, 'MB'],
];
if (results.length > 1) {
  console.log('Growth with N (per 100 more proxies; exponent k of figure ∝ N^k):');
  for (const [name, get, unit] of figures) {
    const steps = results.slice(1).map((f, i) => {
      const prev = results[i]!;
      const slope = ((get(f) - get(prev)) / (f.n - prev.n)) * 100;
      const k = Math.log(get(f) / get(prev)) / Math.log(f.n / prev.n);
      return `${prev.n}→${f.n}: ${slope >= 0 ? '+' : ''}${slope.toFixed(1)} ${unit}, k = ${k.toFixed(2)}`;
    });
    console.log(`  ${name}: ${steps.join('; ')}`);
  }
}

if (WITH_GO) {
  console.log('localmesh ÷ go-control-plane:');
  for (const [i, f] of results.entries()) {
    const g = reference[i]!;
    const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '∞');
    console.log(
      `  N = ${f.n}: first full sync ${ratio(f.firstSyncMs, g.firstSyncMs)}, write → all ACKed p50 ${ratio(f.edit.p50, g.edit.p50)}` +
        ` p95 ${ratio(f.edit.p95, g.edit.p95)} p99 ${ratio(f.edit.p99, g.edit.p99)}, CPU per edit ${ratio(f.editCpuS, g.editCpuS)},` +
        ` peak RSS ${ratio(f.peakRssMb, g.peakRssMb)}`,
    );
  }
}

let exitCode = 0;
for (const f of results) {
  const over = [
    f.edit.p95 >= BOUNDS.editP95Ms && `write → all ACKed p95 ${f.edit.p95} ms ≥ ${BOUNDS.editP95Ms} ms`,
    f.firstSyncMs >= BOUNDS.firstSyncMs && `first full sync ${f.firstSyncMs} ms ≥ ${BOUNDS.firstSyncMs} ms`,
    f.peakRssMb >= BOUNDS.peakRssMb && `peak RSS ${f.peakRssMb.toFixed(0)} MB ≥ ${BOUNDS.peakRssMb} MB`,
  ].filter(Boolean);
  if (over.length > 0) {
    console.log(`N = ${f.n} past the bounds (those of 1000 proxies): ${over.join('; ')}`);
    exitCode = 1;
  }
}
process.exit(exitCode);
