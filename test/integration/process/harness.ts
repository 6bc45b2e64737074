// The process runtime as a user runs it: an example copied to a temp dir, `mesh` as a child
// process, continuous load against the gateway, and a look at /proc for what is left running.
import { cp, mkdtemp, readFile, readlink, readdir, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { freePorts } from '../../helpers/ports.ts';
import { runProgram, type Run } from '../../helpers/run.ts';
import { send, type Response } from '../../helpers/traffic.ts';
import { readState } from '../../../src/runtime/process/state.ts';

export type { Run };

const EXAMPLES = new URL('../../../examples/', import.meta.url).pathname;
const BIN = new URL('../../../bin/mesh.js', import.meta.url).pathname;

export const mesh = (...args: string[]): Promise<Run> => meshIn(process.cwd(), ...args);

/** `mesh ARGS` run in the directory `cwd`. */
export const meshIn = (cwd: string, ...args: string[]): Promise<Run> => meshWith({ cwd }, ...args);

/** `mesh ARGS` run in `cwd` (default: this one) with `env` over this process's environment. */
export const meshWith = (options: { cwd?: string; env?: Record<string, string> }, ...args: string[]): Promise<Run> =>
  runProgram(process.execPath, [BIN, ...args], { cwd: options.cwd ?? process.cwd(), env: { ...process.env, ...options.env } });

/**
 * examples/NAME and examples/app side by side in a temp dir (the versions run ../app/server.mjs),
 * with the gateway published on a free port instead of the example's fixed one, so test files
 * running at once do not collide. Returns the mesh dir and the gateway port.
 */
export async function copyExample(name: string): Promise<{ dir: string; gatewayPort: number }> {
  const root = await mkdtemp(join(tmpdir(), `localmesh-process-${name}-`));
  // Not what a run of the example in the checkout left (.mesh/): the copy starts as a clone does.
  await cp(join(EXAMPLES, name), join(root, name), { recursive: true, filter: (src) => !src.split('/').includes('.mesh') });
  await cp(join(EXAMPLES, 'app'), join(root, 'app'), { recursive: true });
  const dir = join(root, name);
  const [gatewayPort] = await freePorts(1);
  const meshFile = join(dir, 'mesh.yaml');
  const text = await readFile(meshFile, 'utf8');
  const published = text.replace(/("80": )\d+/, `$1${gatewayPort}`);
  if (published === text) throw new Error(`${meshFile}: no "80": PORT to replace`);
  await writeFile(meshFile, published);
  return { dir, gatewayPort: gatewayPort! };
}

export interface RunningExample {
  /** The copied mesh directory, its gateway port, and its control plane's API (set in beforeAll). */
  dir: string;
  gatewayPort: number;
  api: string;
  /** What `mesh up` printed. */
  up: Run;
}

/**
 * examples/NAME copied (copyExample), changed by `prepare`, and up on the process runtime with
 * `mesh up --runtime process -d ARGS` (with `env` over this process's environment) before the file's
 * tests; `mesh down` and removed after them.
 */
export function upExample(
  name: string,
  options: { prepare?: (dir: string) => Promise<void>; env?: Record<string, string>; args?: string[] } = {},
): RunningExample {
  const running: RunningExample = { dir: '', gatewayPort: 0, api: '', up: { code: 0, stdout: '', stderr: '' } };
  beforeAll(async () => {
    ({ dir: running.dir, gatewayPort: running.gatewayPort } = await copyExample(name));
    await options.prepare?.(running.dir);
    running.up = await meshWith({ env: options.env ?? {} }, 'up', '--runtime', 'process', '-d', ...(options.args ?? []), running.dir);
    expect(running.up.code, running.up.stdout + running.up.stderr).toBe(0);
    running.api = await apiOf(running.dir);
  }, 90_000);
  afterAll(async () => {
    if (!running.dir) return;
    await mesh('down', running.dir);
    expect(await processesIn(running.dir)).toEqual([]);
    await rm(dirname(running.dir), { recursive: true, force: true });
  }, 30_000);
  return running;
}

/** The control plane's API URL of the mesh `mesh up` started in `dir`. */
export async function apiOf(dir: string): Promise<string> {
  const state = await readState(dir);
  if (!state) throw new Error(`no state.json in ${dir}/.mesh/process`);
  return state.api;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as T;
}

export interface Load {
  /** Every response so far, with the time it completed (performance.now()). */
  responses: Array<Response & { at: number }>;
  stop(): Promise<Array<Response & { at: number }>>;
}

/** Requests to the port, `concurrency` at a time, until stopped. */
export function startLoad(port: number, concurrency = 4, path = '/'): Load {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const responses: Load['responses'] = [];
  let running = true;
  const worker = async () => {
    while (running) {
      const response = await send({ port, path, timeoutMs: 5000 }, agent);
      responses.push({ ...response, at: performance.now() });
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    responses,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
      return responses;
    },
  };
}

export const failed = (responses: readonly Response[]) => responses.filter((r) => r.status !== 200);

/** Pids of the processes whose command line names `dir` or whose working directory is in it. */
export async function processesIn(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const pid of (await readdir('/proc')).filter((p) => /^\d+$/.test(p))) {
    try {
      const [cmdline, cwd, stat] = await Promise.all([
        readFile(`/proc/${pid}/cmdline`, 'utf8'),
        readlink(`/proc/${pid}/cwd`).catch(() => ''),
        readFile(`/proc/${pid}/stat`, 'utf8'),
      ]);
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (cmdline.includes(dir) || cwd === dir || cwd.startsWith(`${dir}/`)) found.push(`${pid} ${cmdline.replaceAll('\0', ' ')}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Someone watching the mesh's requests, as `mesh tap` or the dashboard does (control/client.ts). */
export { watchRequests as watching } from '../../../src/control/client.ts';
