// Benchmark: the Compose runtime's start and stop. examples/shop (5 workload instances with a
// replica, 16 containers) copied to a temp dir under a name of its own, the gateway on a free
// port: the time from `mesh up -d` to ready (every init done, apps healthy, proxies SYNCED, the
// gateway answering) and of `mesh down`. The images must be built (scripts/docker/build-images):
// this measures starting, not building. Exits 1 when up takes longer than the bound.
//   node bench/up.ts [--runs N]
import { execFileSync } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePorts } from '../src/runtime/ports.ts';

const BOUND_UP_S = 15;
const { values } = parseArgs({ options: { runs: { type: 'string', default: '1' } } });
const RUNS = Number(values.runs);
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
const dir = join(root, 'shop');
await cp(join(REPO, 'examples', 'shop'), dir, { recursive: true });
await cp(join(REPO, 'examples', 'app'), join(root, 'app'), { recursive: true });
const [port] = await freePorts(1);
const meshFile = join(dir, 'mesh.yaml');
await writeFile(meshFile, (await readFile(meshFile, 'utf8')).replace(/("80": )\d+/, `$1${port}`).replace(/^( {2}name: )\S+$/m, `$1bench-up-${process.pid}`));

const ups: number[] = [];
const downs: number[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    ups.push(mesh('up', '--runtime', 'docker', '-d', dir));
    downs.push(mesh('down', dir));
    console.log(`run ${i + 1}: up ${ups.at(-1)!.toFixed(1)} s, down ${downs.at(-1)!.toFixed(1)} s`);
  }
} finally {
  execFileSync(process.execPath, [MESH, 'down', dir], { stdio: 'ignore' });
  await rm(root, { recursive: true, force: true });
}
const worst = Math.max(...ups);
console.log(`mesh up -d examples/shop (Compose, images present): ${worst.toFixed(1)} s (bound ${BOUND_UP_S} s); mesh down: ${Math.max(...downs).toFixed(1)} s`);
if (worst > BOUND_UP_S) {
  console.log(`FAIL: mesh up took ${worst.toFixed(1)} s, more than ${BOUND_UP_S} s`);
  process.exit(1);
}
