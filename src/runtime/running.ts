// Where a mesh that `mesh up` started in a directory answers, whichever runtime runs it: for the
// commands that talk to a running mesh (dashboard, load, proxy-status, proxy-config).
import { readComposeState } from './compose-state.ts';
import { readState } from './state.ts';

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

/** The sentence for a command that needs a running mesh and found none. */
export function noMeshRuns(dir: string): string {
  return `no mesh runs in ${dir} (mesh up ${dir} starts one)`;
}
