// Where a mesh that `mesh up` started in a directory answers, whichever runtime runs it: for the
// commands that talk to a running mesh (dashboard, load, proxy-status, proxy-config).
import { readdir, readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { readComposeState } from './compose-state.ts';
import { dockerAnswers } from './docker.ts';
import { engine, meshDirOf } from './engine.ts';
import { statePaths, readState } from './state.ts';

export interface RunningMesh {
  runtime: 'process' | 'docker';
  /** The mesh directory, absolute. */
  dir: string;
  /** The control plane's HTTP API. */
  api: string;
  gateways: string[];
  /** The Compose project (Compose runtime). */
  project?: string;
}

export async function runningMesh(dir: string): Promise<RunningMesh | undefined> {
  const compose = await readComposeState(dir);
  if (compose) return { runtime: 'docker', dir: compose.dir, api: compose.api, gateways: compose.gateways, project: compose.project };
  const state = await readState(dir);
  if (state) return { runtime: 'process', dir: state.dir, api: state.control.api, gateways: state.gateways };
  return undefined;
}

/**
 * The directories of the meshes that run on this machine, whichever runtime: Compose stacks by
 * their control plane's container, the process runtime by its control plane's command line
 * (`mesh control --dir DIR … --addressing DIR/.mesh/process/addressing.json`, from /proc).
 */
export async function meshesRunning(): Promise<string[]> {
  const dirs = new Set<string>();
  if (await dockerAnswers()) {
    const controls = await engine()
      .listContainers({ filters: { label: ['dev.localmesh.role=control'], status: ['running'] } })
      .catch(() => []);
    for (const c of controls) {
      const dir = meshDirOf({ labels: c.Labels });
      if (dir) dirs.add(dir);
    }
  }
  const pids = await readdir('/proc').catch(() => [] as string[]);
  for (const pid of pids.filter((p) => /^\d+$/.test(p))) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    const at = argv.indexOf('--dir');
    const dir = at > 0 && argv.includes('control') ? argv[at + 1] : undefined;
    if (dir && argv.includes(statePaths(dir).portMap)) dirs.add(dir);
  }
  return [...dirs].sort();
}

/**
 * The sentence for a command that needs a running mesh in `dir` and found none (`what`: how
 * that showed, by default "no mesh runs in DIR"); with the meshes that do run elsewhere, and how
 * to name one (`example(OTHER)`, e.g. `mesh logs OTHER reviews`).
 */
export async function noMeshRuns(dir: string, example: (other: string) => string, what = `no mesh runs in ${dir}`): Promise<string> {
  const others = (await meshesRunning().catch(() => [])).filter((d) => d !== resolve(dir));
  if (others.length === 0) return `${what} (mesh up ${dir} starts one)`;
  const shown = others.map((d) => {
    const near = relative('.', d);
    return near && !near.startsWith('..') ? (near.includes('/') ? near : `./${near}`) : d;
  });
  return `${what}; ${others.length === 1 ? 'one runs' : 'meshes run'} in ${shown.join(', ')}: name it first, e.g. ${example(shown[0]!)}`;
}
