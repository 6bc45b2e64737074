// Benchmark: the Compose runtime's start and stop, cold and warm. An example (default canary)
// copied to a temp dir under a name of its own, the gateway on a free port. Cold: the stack's
// images removed from the engine first, so `mesh up -d` pulls the official ones and builds
// localmesh/init (a test machine pulls through its registry mirror; a laptop from Docker Hub, so
// its cold time depends on its network). Warm: `mesh up -d` after `mesh down`, every image there.
// Each time is from `mesh up -d` to ready (every init done, apps healthy, proxies SYNCED, the
// gateway answering). Exits 1 when a warm up takes longer than the bound.
//   node bench/up.ts [--example canary|shop] [--runs N] [--no-cold]
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultImages } from '../src/compose/images.ts';
import { Engine } from '../src/runtime/compose/engine.ts';
import { freePorts } from '../src/runtime/ports.ts';

const BOUND_WARM_S = 10;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '3' }, example: { type: 'string', default: 'canary' }, 'no-cold': { type: 'boolean', default: false } } });
const RUNS = Number(values.runs);
const EXAMPLE = values.example!;
const REPO = join(import.meta.dirname, '..');
const MESH = join(REPO, 'bin', 'mesh.js');

function mesh(...args: string[]): number {
  const started = performance.now();
  try {
    execFileSync(process.execPath, [MESH, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOCALMESH_API_PORT: '0' } });
  } catch (error) {
    const e = error as { stdout?: Buffer; stderr?: Buffer };
    console.error(`mesh ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    process.exit(2);
  }
  return (performance.now() - started) / 1000;
}

const root = await mkdtemp(join(tmpdir(), 'localmesh-bench-up-'));
const dir = join(root, EXAMPLE);
await cp(join(REPO, 'examples', EXAMPLE), dir, { recursive: true });
await cp(join(REPO, 'examples', 'app'), join(root, 'app'), { recursive: true });
const [port] = await freePorts(1);
const meshFile = join(dir, 'mesh.yaml');
await writeFile(meshFile, (await readFile(meshFile, 'utf8')).replace(/("80": )\d+/, `$1${port}`).replace(/^( {2}name: )\S+$/m, `$1bench-up-${process.pid}`));

let cold: number | undefined;
const ups: number[] = [];
const downs: number[] = [];
try {
  if (!values['no-cold']) {
    const images = defaultImages();
    await new Engine().removeImages(images.envoy, images.node, images.init, 'debian:bookworm-slim');
    cold = mesh('up', '--runtime', 'docker', '-d', dir);
    downs.push(mesh('down', dir));
    console.log(`cold: up ${cold.toFixed(1)} s (pulls ${images.envoy}, ${images.node}, debian:bookworm-slim; builds ${images.init}), down ${downs.at(-1)!.toFixed(1)} s`);
  }
  for (let i = 0; i < RUNS; i++) {
    ups.push(mesh('up', '--runtime', 'docker', '-d', dir));
    downs.push(mesh('down', dir));
    console.log(`warm run ${i + 1}: up ${ups.at(-1)!.toFixed(1)} s, down ${downs.at(-1)!.toFixed(1)} s`);
  }
} finally {
  execFileSync(process.execPath, [MESH, 'down', dir], { stdio: 'ignore' });
  await rm(root, { recursive: true, force: true });
}
const worst = Math.max(...ups);
console.log(
  `mesh up -d examples/${EXAMPLE} (Compose): ${cold === undefined ? '' : `cold ${cold.toFixed(1)} s, `}warm worst ${worst.toFixed(1)} s ` +
    `(bound ${BOUND_WARM_S} s); mesh down worst ${Math.max(...downs).toFixed(1)} s`,
);
if (worst > BOUND_WARM_S) {
  console.log(`FAIL: a warm mesh up took ${worst.toFixed(1)} s, more than ${BOUND_WARM_S} s`);
  process.exit(1);
}
