// The loop's guarantee as a property, on the process runtime with real Envoys and the real
// watcher (file events, then polling): after any burst of writes (in place and atomic), renames,
// deletes and re-creates of mesh files, with random contents (invalid ones too) and random gaps
// of 0–100 ms, once the files are quiet every proxy serves the compile of the files on disk within
// the reload bound and /status reports that version. When the files end invalid, /status says so
// and the version serving is one the files were in (the last good one), served by every proxy.
// Bursts follow each other in one mesh per mode, each starting from where the last one left off.
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceFile } from '../../../src/config/load.ts';
import { readMeshDir } from '../../../src/config/load.ts';
import { filesHash, type ControlStatus } from '../../../src/control/controller.ts';
import { readState, statePaths } from '../../../src/runtime/process/state.ts';
import { apiOf, copyExample, getJson, mesh, sleep } from './harness.ts';
import { adminUrls, compileFiles, differences, type DiskMesh } from './served.ts';

/** Bursts per mode, all in one mesh start (CI runs this file as it is). */
const BURSTS = 20;
/** From the end of a burst until every proxy serves the files (the watcher's, the debounce's and the read-back's delays, the push and the ACK). */
const RELOAD_BOUND_MS = 1500;
const SEED = Number(process.env.LOCALMESH_SEED ?? Math.floor(Math.random() * 2 ** 31));

/** The files a burst touches (mesh.yaml stays: its proxies are the processes that run). */
const FILES = ['reviews.yaml', 'gateway.yaml', 'extra.yaml', 'routes/reviews.yaml'] as const;
type File = (typeof FILES)[number];

type Op =
  | { op: 'write'; file: File; text: string; atomic: boolean; gapMs: number }
  | { op: 'delete'; file: File; gapMs: number }
  | { op: 'rename'; from: File; to: File; gapMs: number };

let original: { reviews: string; gateway: string };
const weights = (v1: number) =>
  original.reviews.replace(/weight: \d+(\s+# stable)/, `weight: ${v1}$1`).replace(/weight: \d+(\s+# canary)/, `weight: ${100 - v1}$1`);
function contents(): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 100 }).map(weights) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 100 }).map((w) => weights(w).split('\n---\n')[0]!) }, // the VirtualService alone
    { weight: 1, arbitrary: fc.constant(null).map(() => weights(50).split('\n---\n')[1]!) }, // the DestinationRule alone
    { weight: 2, arbitrary: fc.constant(null).map(() => original.gateway) },
    { weight: 1, arbitrary: fc.constant(null).map(() => weights(50).replace('subset: v2', 'subset: v9')) },
    { weight: 1, arbitrary: fc.constantFrom(': -', '&!{}', '', 'kind: [', '\u0000') },
    { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 100 }), fc.nat()).map(([w, cut]) => weights(w).slice(0, cut % 600)) }, // a torn write
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}

// Half the gaps fall where a watcher is weakest: a save 30–50 ms after the one before on the same
// file comes after the debounced read began and inside chokidar's 50 ms 'change' throttle.
const gap = fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 30, max: 50 }));
const file = fc.oneof({ weight: 3, arbitrary: fc.constant<File>('reviews.yaml') }, { weight: 2, arbitrary: fc.constantFrom(...FILES) });
const write = (text: fc.Arbitrary<string>, f: fc.Arbitrary<File> = file) =>
  fc.record({ op: fc.constant('write' as const), file: f, text, atomic: fc.boolean(), gapMs: gap });
/** An editor's autosave or a script: several saves of one file in a row. */
const saves = (text: fc.Arbitrary<string>, f: fc.Arbitrary<File> = file) =>
  fc
    .tuple(f, fc.boolean(), fc.array(fc.tuple(text, gap), { minLength: 2, maxLength: 6 }))
    .map(([name, atomic, steps]) => steps.map(([t, gapMs]): Op => ({ op: 'write', file: name, text: t, atomic, gapMs })));
const op: fc.Arbitrary<Op[]> = fc.oneof(
  { weight: 4, arbitrary: write(contents()).map((o) => [o]) },
  { weight: 2, arbitrary: saves(contents()) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('delete' as const), file, gapMs: gap }).map((o) => [o]) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('rename' as const), from: file, to: file, gapMs: gap }).map((o) => [o]) },
);
/** Random operations, then (half the time) saves that make the mesh valid again, also with random gaps. */
const burst: fc.Arbitrary<Op[]> = fc
  .tuple(
    fc.array(op, { minLength: 1, maxLength: 8 }).map((ops) => ops.flat()),
    fc.option(fc.tuple(gap, write(fc.constant(null).map(() => original.gateway), fc.constant('gateway.yaml')), saves(fc.integer({ min: 0, max: 100 }).map(weights), fc.constant('reviews.yaml')))),
  )
  .map(([ops, repair]) => {
    if (!repair) return ops;
    const [gapMs, gateway, reviews] = repair;
    return [...ops, { op: 'delete', file: 'extra.yaml', gapMs }, { op: 'delete', file: 'routes/reviews.yaml', gapMs: 0 }, gateway, ...reviews];
  });

const show = (ops: Op[]) =>
  ops
    .map((o) =>
      o.op === 'write'
        ? `+${o.gapMs}ms write ${o.file} ${o.atomic ? 'atomic' : 'in place'} ${JSON.stringify(o.text.length > 30 ? `${o.text.slice(0, 30)}…(${o.text.length})` : o.text)}`
        : o.op === 'delete'
          ? `+${o.gapMs}ms delete ${o.file}`
          : `+${o.gapMs}ms rename ${o.from} → ${o.to}`,
    )
    .join('\n');

/** One mesh for a mode; each property run is a burst on its files, then the check. */
function suite(poll: boolean) {
  let dir = '';
  let api = '';
  let admins = new Map<string, string>();
  let tmp = 0;
  const latencies: number[] = [];
  /** The files of the version last seen serving (the start of the next burst's history). */
  let servingFiles: SourceFile[] = [];

  const path = (f: File) => join(dir, f);
  const exists = async (f: File) => readFile(path(f)).then(() => true, () => false);

  /** Runs the burst; returns every text each file had during it (null: absent), after each step. */
  async function run(ops: Op[]): Promise<Map<File, Set<string | null>>> {
    const seen = new Map<File, Set<string | null>>();
    const record = async () => {
      for (const f of FILES) {
        const text = await readFile(path(f), 'utf8').catch(() => null);
        (seen.get(f) ?? seen.set(f, new Set()).get(f)!).add(text);
      }
    };
    await record();
    for (const o of ops) {
      await sleep(o.gapMs);
      if (o.op === 'write') {
        await mkdir(dirname(path(o.file)), { recursive: true });
        if (o.atomic) {
          const temp = `${path(o.file)}.${++tmp}.tmp~`;
          await writeFile(temp, o.text);
          await rename(temp, path(o.file));
        } else {
          seen.get(o.file)!.add(''); // a write in place truncates first
          await writeFile(path(o.file), o.text);
        }
      } else if (o.op === 'delete') {
        await rm(path(o.file), { force: true });
      } else if (o.from !== o.to && (await exists(o.from))) {
        await mkdir(dirname(path(o.to)), { recursive: true });
        await rename(path(o.from), path(o.to));
      }
      await record();
    }
    return seen;
  }

  /**
   * The compile of the files the version serving comes from, when the files on disk are invalid:
   * any combination of the texts each file had during the burst (a read of the directory can fall
   * between two steps) whose hash is the version's.
   */
  async function servingOf(status: ControlStatus, seen: Map<File, Set<string | null>>): Promise<{ files: SourceFile[]; mesh: DiskMesh } | undefined> {
    const hash = status.version?.split('-')[1];
    if (!hash) return undefined;
    const fixed = (await readMeshDir(dir)).filter((f) => !FILES.some((name) => path(name) === f.path));
    let sets: SourceFile[][] = [[...fixed]];
    for (const f of FILES) {
      const texts = new Set(seen.get(f));
      const before = servingFiles.find((s) => s.path === path(f));
      texts.add(before ? before.text : null);
      sets = sets.flatMap((set) => [...texts].map((text) => (text === null ? set : [...set, { path: path(f), text }])));
    }
    for (const set of sets) {
      const sorted = [...set].sort((a, b) => (a.path < b.path ? -1 : 1));
      if (filesHash(sorted).startsWith(hash)) return { files: sorted, mesh: await compileFiles(dir, sorted) };
    }
    return undefined;
  }

  /** What serves against the files on disk: the differences (empty once they agree) and the files serving. */
  async function check(seen: Map<File, Set<string | null>>): Promise<{ problems: string[]; serving: SourceFile[] }> {
    const files = await readMeshDir(dir);
    const disk = await compileFiles(dir, files);
    if (disk.valid) return { problems: await differences(dir, api, admins, disk, undefined), serving: files };
    const status = await getJson<ControlStatus>(`${api}/status`);
    const lastGood = await servingOf(status, seen);
    if (status.version && !lastGood) return { problems: [`the version serving, ${status.version}, is no state the files were in`], serving: [] };
    return { problems: await differences(dir, api, admins, disk, lastGood?.mesh), serving: lastGood?.files ?? [] };
  }

  describe(poll ? 'polling (mesh up --poll)' : 'with file events', () => {
    beforeAll(async () => {
      let gatewayPort: number;
      ({ dir, gatewayPort } = await copyExample('canary'));
      void gatewayPort;
      original = { reviews: await readFile(join(dir, 'reviews.yaml'), 'utf8'), gateway: await readFile(join(dir, 'gateway.yaml'), 'utf8') };
      const up = await mesh('up', '--runtime', 'process', '-d', ...(poll ? ['--poll'] : []), dir);
      expect(up.code, up.stdout + up.stderr).toBe(0);
      api = await apiOf(dir);
      admins = await adminUrls(dir);
      const control = (await readState(dir))!.processes.find((p) => p.role === 'control')!;
      const argv = execFileSync('cat', [`/proc/${control.pid}/cmdline`], { encoding: 'utf8' }).split('\0');
      expect(argv.includes('--poll')).toBe(poll);
      servingFiles = await readMeshDir(dir);
      const deadline = Date.now() + 10_000;
      while ((await check(new Map())).problems.length > 0 && Date.now() < deadline) await sleep(50);
    }, 60_000);

    afterAll(async () => {
      if (latencies.length > 0) {
        const sorted = [...latencies].sort((a, b) => a - b);
        const at = (q: number) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!);
        console.log(`${poll ? 'polling' : 'file events'}: end of burst → served: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms over ${sorted.length} bursts`);
      }
      if (dir) {
        await mesh('down', dir);
        await rm(dirname(dir), { recursive: true, force: true });
      }
    }, 30_000);

    it(`after each of ${BURSTS} random bursts, every proxy serves the files on disk within ${RELOAD_BOUND_MS} ms (seed ${SEED})`, async () => {
      console.log(`fast-check seed ${SEED} (${poll ? 'polling' : 'file events'}); replay with LOCALMESH_SEED=${SEED}`);
      await fc.assert(
        fc.asyncProperty(burst, async (ops) => {
          const seen = await run(ops);
          const quietAt = performance.now();
          let result: Awaited<ReturnType<typeof check>>;
          do {
            result = await check(seen);
            if (result.problems.length === 0) break;
            await sleep(10);
          } while (performance.now() - quietAt < RELOAD_BOUND_MS);
          const { problems, serving } = result;
          if (problems.length > 0) {
            const files = (await readMeshDir(dir)).map((f) => `--- ${f.path.slice(dir.length + 1)}\n${f.text}`).join('\n');
            const log = (await readFile(statePaths(dir).log('mesh-control'), 'utf8')).split('\n').slice(-60).join('\n');
            throw new Error(`not served within ${RELOAD_BOUND_MS} ms after the burst\n${show(ops)}\n${problems.join('\n')}\nthe files:\n${files}\nthe control plane's log:\n${log}`);
          }
          latencies.push(performance.now() - quietAt);
          servingFiles = serving;
        }),
        { numRuns: BURSTS, seed: SEED, endOnFailure: true },
      );
    }, 120_000);
  });
}

suite(false);
suite(true);
