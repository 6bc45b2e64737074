// Benchmark: what a reload after a weight edit costs the compiler. The bench/scale mesh
// (bench/scale/mesh.ts: N sidecars = services × 20 versions, and the gateway; one VirtualService
// for s0 bound to the gateway and to `mesh`), loaded as the control plane loads it (a ParseCache:
// only the edited file is parsed again). Times, over `--edits` weight edits of s0's
// VirtualService (as `mesh weight` writes them): a full compile of each edit's model, and the
// memoised compile (a CompileMemo kept from one compile to the next, as the controller keeps
// it), each also with load + validate; prints p50/p95 and the ratio, checks that the memoised
// compile gives what the full one does, and exits 1 past the bound (or on a difference).
//   node bench/recompile.ts [--n 1000] [--edits 30]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { findWeightedRoute, setWeights } from '../src/config/edit-weights.ts';
import { loadMeshFromSources, ParseCache, type SourceFile } from '../src/config/index.ts';
import { readMeshDir } from '../src/config/load.ts';
import type { MeshModel } from '../src/config/model.ts';
import { CompileMemo, compileMesh } from '../src/compile/index.ts';
import { composeAddressing } from '../src/compile/addressing.ts';
import { encodeResource } from '../src/envoy/proto.ts';
import { EDITED_FILE, EDITED_HOST, shapeFor, writeMesh } from './scale/mesh.ts';

/**
 * The memoised compile of a weight edit must be at least this many times faster (p50) than a full
 * compile (measured at N=1000 on a busy 2-core machine: full ~20 ms, memoised ~6 ms, 3.1-3.3×).
 */
const BOUND_RATIO = 2.5;

const { values } = parseArgs({ options: { n: { type: 'string', default: '1000' }, edits: { type: 'string', default: '30' } } });
const N = Number(values.n);
const EDITS = Number(values.edits);
const shape = shapeFor(N);

const dir = await mkdtemp(join(tmpdir(), 'localmesh-recompile-'));
await writeMesh(dir, shape);
let files: SourceFile[] = await readMeshDir(dir);
await rm(dir, { recursive: true, force: true });
const edited = files.findIndex((f) => f.path.endsWith(EDITED_FILE));

const weightsOf = (i: number) => {
  const v1 = (i * 37) % 101;
  return Object.fromEntries(Array.from({ length: shape.versions }, (_, v) => [`v${v + 1}`, v === 0 ? v1 : v === 1 ? 100 - v1 : 0]));
};

/** The files after edit i: s0's weights set as `mesh weight` sets them. */
function edit(model: MeshModel, i: number): SourceFile[] {
  const route = findWeightedRoute(model, { host: EDITED_HOST, weights: weightsOf(i) });
  if ('error' in route) throw new Error(route.error.message);
  const change = setWeights(files[edited]!.text, route, weightsOf(i));
  if ('error' in change) throw new Error(change.error.message);
  return files.map((f, j) => (j === edited ? { ...f, text: change.text } : f));
}

encodeResource('clusters', { name: 'warm-up', connect_timeout: '1s' }); // the protos load once per process
const addressing = composeAddressing();
const parseCache = new ParseCache();
const memo = new CompileMemo();
const load = (): MeshModel => {
  const { model, diagnostics } = loadMeshFromSources(files, dir, undefined, {}, parseCache);
  if (!model) throw new Error(`the generated mesh did not validate: ${JSON.stringify(diagnostics.slice(0, 3))}`);
  return model;
};

let model = load();
compileMesh(model, addressing, memo); // the first compile: what the memo starts from
for (let i = 0; i < 3; i++) compileMesh(model, addressing); // JIT warm-up

const full: number[] = [];
const memoised: number[] = [];
const loads: number[] = [];
let differences = 0;
for (let i = 0; i < EDITS; i++) {
  files = edit(model, i);
  let t = performance.now();
  model = load();
  loads.push(performance.now() - t);
  t = performance.now();
  const fresh = compileMesh(model, addressing);
  full.push(performance.now() - t);
  t = performance.now();
  const kept = compileMesh(model, addressing, memo);
  memoised.push(performance.now() - t);
  if (i % 10 === 0 && !isDeepStrictEqual(JSON.parse(JSON.stringify(kept)), JSON.parse(JSON.stringify(fresh)))) differences++;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]!;
const ms = (x: number) => `${x.toFixed(1)} ms`;
const fullP50 = pct(full, 0.5);
const memoP50 = pct(memoised, 0.5);
const loadP50 = pct(loads, 0.5);
console.log(`mesh: ${shape.services} services × ${shape.versions} versions (${shape.services * shape.versions} sidecars and the gateway); ${EDITS} weight edits of ${EDITED_HOST}'s VirtualService`);
console.log(`load + validate (ParseCache):   p50 ${ms(loadP50)}  p95 ${ms(pct(loads, 0.95))}`);
console.log(`full compile:                   p50 ${ms(fullP50)}  p95 ${ms(pct(full, 0.95))}`);
console.log(`memoised compile:               p50 ${ms(memoP50)}  p95 ${ms(pct(memoised, 0.95))}`);
console.log(`compile ratio full ÷ memoised:  ${(fullP50 / memoP50).toFixed(1)}× (bound ≥ ${BOUND_RATIO}×)`);
console.log(`load + validate + compile:      full ${ms(loadP50 + fullP50)}, memoised ${ms(loadP50 + memoP50)} (p50s added)`);
if (differences > 0) console.log(`FAIL: the memoised compile differed from the full one in ${differences} checked edits`);
const ok = differences === 0 && fullP50 / memoP50 >= BOUND_RATIO;
console.log(ok ? 'PASS' : 'FAIL: past the bound');
process.exit(ok ? 0 : 1);
