// `mesh supervise DIR` for the process runtime: the process that outlives `mesh up -d`, restarts
// what crashes (a Supervisor) and, with `mesh up -d --watch`, restarts versions whose code changed.
import { resolve } from 'node:path';
import { identity } from '../detached.ts';
import { readSpecs, readState, statePaths, writeState } from './state.ts';
import { Supervisor } from './supervise.ts';
import { followMesh } from './follow.ts';
import { planner } from './planner.ts';
import { watchProcesses } from './watch.ts';

/**
 * `mesh supervise DIR`: the detached supervisor of a `mesh up -d` run. Records itself in
 * state.json, restarts what crashes until SIGTERM (`mesh down`), one line per event on stdout.
 */
export async function superviseRun(meshDir: string): Promise<number> {
  const dir = resolve(meshDir);
  const [state, specs] = await Promise.all([readState(dir), readSpecs(dir)]);
  if (!state || !specs) {
    console.error(`mesh supervise: nothing to supervise in ${statePaths(dir).root} (mesh up -d ${meshDir} starts a mesh and its supervisor).`);
    return 1;
  }
  const say = (line: string) => console.log(`${new Date().toISOString()} ${line}`);
  let stop!: () => void;
  const stopped = new Promise<void>((done) => (stop = done));
  for (const name of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(name, () => stop());
  state.supervisor = identity(process.pid);
  await writeState(dir, state);
  say(`supervising ${state.processes.length} processes of ${dir}`);
  const supervisor = new Supervisor(specs, state.processes, {
    meshDir,
    say,
    changed: (records) => writeState(dir, { ...state, processes: records }),
  }).start();
  const code = await watchProcesses(meshDir, dir, supervisor, say, state.watch === true);
  const following = await followMesh({ dir, state, supervisor, plan: planner(dir, { poll: false }), say });
  await stopped;
  await code?.close();
  await following.close();
  await supervisor.stop();
  say('stopped supervising');
  return 0;
}
