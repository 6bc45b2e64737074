// The Compose runtime as a user runs it, on a real Docker Engine with real Compose and Envoy:
// an example copied to a temp dir under a unique mesh name (so its Compose project is its own),
// its gateway on a free port, `mesh` as a child process, and the engine asked what is left.
import { execFile, spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { portFree } from '../../src/runtime/ports.ts';
import { mesh } from '../integration/process/harness.ts';
import { readComposeState } from '../../src/runtime/compose/state.ts';
import Docker from 'dockerode';
import { Engine } from '../../src/runtime/compose/engine.ts';

/** The Docker engine the tests look at and clean up with: dockerode itself, and localmesh's Engine on it. */
export const docker = new Docker();
export const engine = new Engine(docker);

const EXAMPLES = new URL('../../examples/', import.meta.url).pathname;

// The control plane's API on a free port in every `mesh` these tests run: 15080 may be taken
// meanwhile by anything else on the machine.
process.env.LOCALMESH_API_PORT = '0';
export { mesh, type Run } from '../integration/process/harness.ts';
import type { Run } from '../integration/process/harness.ts';

const REPO = new URL('../../', import.meta.url).pathname;

/** `mesh ARGS` with extra environment. */
export function meshWith(env: Record<string, string>, ...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/mesh.js', ...args], { cwd: REPO, env: { ...process.env, LOCALMESH_API_PORT: '0', ...env }, timeout: 120_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/**
 * `mesh ARGS` as a child whose output is followed: `until(pattern)` resolves once it printed a
 * line matching it (rejects when it exits first or after `timeoutMs`), `exited` with its exit code.
 */
export function meshChild(...args: string[]) {
  const child = spawn(process.execPath, ['bin/mesh.js', ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    exited,
    output: () => output,
    async until(pattern: RegExp, timeoutMs = 180_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(output)) {
        if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
          child.kill('SIGKILL');
          throw new Error(`mesh ${args.join(' ')} never printed ${pattern}:\n${output}`);
        }
        await sleep(20);
      }
    },
  };
}

export interface Example {
  dir: string;
  project: string;
  gatewayPort: number;
}

/**
 * A free port for a stack's gateway, from 32000–32767: above the blocks the process tests take
 * theirs from (test/helpers/ports.ts, 12000–31999, the same blocks in every vitest run on the
 * machine) and below the kernel's ephemeral range, so neither can take it between the choice and
 * Docker's bind. Started at a place of this run's own, the Docker tests run one file at a time.
 */
let nextGatewayPort = 32_000 + (process.pid % 384);
export async function gatewayPort(): Promise<number> {
  for (let tried = 0; tried < 768; tried++) {
    const port = nextGatewayPort;
    nextGatewayPort = port + 1 > 32_767 ? 32_000 : port + 1;
    if (await portFree(port)) return port;
  }
  throw new Error('no free port in 32000–32767');
}

/** examples/NAME beside examples/app in a temp dir, named `NAME-TAG-PID` (its Compose project), the gateway on a free port. */
export async function copyExample(name: string, tag: string): Promise<Example> {
  const root = await mkdtemp(join(tmpdir(), `localmesh-docker-${name}-`));
  // Not what a run of the example in the checkout left (.mesh/): the copy starts as a clone does.
  await cp(join(EXAMPLES, name), join(root, name), { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
  await cp(join(EXAMPLES, 'app'), join(root, 'app'), { recursive: true });
  const dir = join(root, name);
  const port = await gatewayPort();
  const project = `${name}-${tag}-${process.pid}`;
  const meshFile = join(dir, 'mesh.yaml');
  const text = await readFile(meshFile, 'utf8');
  const edited = text.replace(/("80": )\d+/, `$1${port}`).replace(/^( {2}name: )\S+$/m, `$1${project}`);
  if (!edited.includes(`"80": ${port}`) || !edited.includes(`name: ${project}`)) throw new Error(`${meshFile}: no gateway port or name to replace`);
  await writeFile(meshFile, edited);
  return { dir, project, gatewayPort: port };
}

/** `mesh down`, then whatever the engine still has of the project removed, then the temp dir: for afterAll, even after a failure. */
export async function cleanUp(example: Example | undefined): Promise<void> {
  if (!example) return;
  const down = await mesh('down', example.dir);
  if (down.code !== 0) console.warn(`mesh down failed: ${down.stdout}${down.stderr}`);
  await removeStack(example.project);
  await rm(dirname(example.dir), { recursive: true, force: true });
}

/**
 * What a test leaves of its stack: containers and networks, and its volumes (the control plane's
 * compile cache, which `mesh down` keeps as Compose keeps named volumes; every test project is new).
 */
export async function removeStack(project: string): Promise<void> {
  await engine.removeStack(project).catch(() => undefined);
  const { Volumes } = await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } });
  for (const volume of Volumes ?? []) await docker.getVolume(volume.Name).remove().catch(() => undefined);
}

export async function apiOf(dir: string): Promise<string> {
  const state = await readComposeState(dir);
  if (!state) throw new Error(`no .mesh/docker.json in ${dir}`);
  return state.api;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as T;
}

/** What the engine still has of a project: container and network names. */
export async function leftovers(project: string): Promise<string[]> {
  return [...(await engine.stackContainers(project)).map((c) => c.name), ...(await engine.stackNetworks(project)).map((n) => n.name)];
}

/**
 * Runs a Node.js script inside the stack: in the control plane's container (not captured), or
 * in the container of `service` (an app's is captured: its calls pass its sidecar); its stdout.
 */
export async function nodeInStack(project: string, script: string, service = 'mesh-control'): Promise<string> {
  const control = (await engine.stackContainers(project)).find((c) => c.service === service);
  if (!control) throw new Error(`no ${service} container in ${project}`);
  const exec = await docker.getContainer(control.id).exec({ Cmd: ['node', '-e', script], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  const chunks: Buffer[] = [];
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  // Multiplexed: 8-byte headers, stream 1 stdout, 2 stderr.
  const buffer = Buffer.concat(chunks);
  const out: string[] = [];
  for (let at = 0; at + 8 <= buffer.length; ) {
    const size = buffer.readUInt32BE(at + 4);
    if (buffer[at] === 1) out.push(buffer.subarray(at + 8, at + 8 + size).toString('utf8'));
    at += 8 + size;
  }
  return out.join('');
}

/** GET a URL from inside the stack; the body. */
export const fetchInStack = (project: string, url: string) =>
  nodeInStack(project, `fetch(${JSON.stringify(url)}).then((r) => r.text()).then((t) => process.stdout.write(t), (e) => { console.error(String(e)); process.exit(1); })`);

/** One Envoy counter of a proxy container, read from its stats port (15090) inside the stack. */
export async function counter(project: string, proxyHost: string, stat: string): Promise<number> {
  const text = await fetchInStack(project, `http://${proxyHost}:15090/stats?filter=${encodeURIComponent(`^${stat.replace(/[|.]/g, '\\$&')}$`)}`);
  const line = text.split('\n').find((l) => l.startsWith(`${stat}: `));
  return line ? Number(line.slice(stat.length + 2)) : 0;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}
