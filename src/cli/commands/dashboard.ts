import type { Runtimes } from '../../runtime/contract.ts';
import { createStore } from '../../tui/store.ts';
import { startEffects } from '../../tui/effects.ts';
import { initialState } from '../../tui/state.ts';
import { summary } from '../../tui/summary.ts';
import { EXIT } from '../output.ts';

export const help = `Usage: mesh dashboard [DIR] [--api URL]

A full-screen terminal UI attached to the mesh running in DIR (default: the current directory):
services and their proxies' sync state, routes with their weights and the split observed, traffic
per service and subset, the control plane's events, and the selected service's log.

Keys: Tab/arrows move, ←/→ shift the selected route's split by 5 (Shift: by 1), Enter selects the
subset, p promotes it to 100%, r rolls back, f toggles a fault, e opens the route in $EDITOR,
t starts/stops traffic (+/- rate), ? help, q quit. Weight and fault changes are written to the
YAML files (comments kept) and reach the proxies through the hot reload.

When stdout is not a terminal, prints the same as a plain summary instead.
Plain \`mesh\` in a terminal opens the dashboard when a mesh runs in the current directory.
NO_COLOR=1 turns colours off.

Options:
  --api URL   the control plane's API (default: the one recorded by mesh up in DIR)
  --dir DIR   the mesh directory, as DIR (one or the other)
  -h, --help  show this help`;

/** Whether `mesh up` runs a mesh in `dir` (its state is there). */
export async function meshRunsIn(dir: string, runtimes: Runtimes): Promise<boolean> {
  return (await runtimes.running(dir).catch(() => undefined)) !== undefined;
}

export async function run(dir: string, options: { api?: string }, runtimes: Runtimes): Promise<number> {
  const run = await runtimes.running(dir).catch((error: Error) => {
    console.error(`mesh dashboard: ${error.message}`);
    return null;
  });
  if (run === null) return EXIT.invalid;
  const api = options.api ?? run?.state.api;
  if (!api) {
    console.error(`mesh dashboard: ${await runtimes.noMeshRuns(dir, (d) => `mesh dashboard ${d}`)}; or give the control plane's URL with --api URL.`);
    return EXIT.invalid;
  }
  // The mesh files: DIR's when a mesh runs there (or no --api was given), else the control plane's.
  const files = run || !options.api ? { dir } : {};
  if (!process.stdout.isTTY) return printSummary(api, files.dir, runtimes);
  if (process.env.NO_COLOR) process.env.FORCE_COLOR = '0'; // before ink (and chalk) load
  const { runDashboard } = await import('../../tui/app.ts');
  await runDashboard({ api, ...files, runtimes });
  return EXIT.ok;
}

async function printSummary(api: string, dir: string | undefined, runtimes: Runtimes): Promise<number> {
  const store = createStore(initialState({ api, ...(dir ? { dir } : {}) }));
  const effects = startEffects({ store, runtimes, openEditor: async () => undefined });
  await effects.ready;
  effects.stop();
  const state = store.getState();
  console.log(summary(state));
  return state.connection === 'up' ? EXIT.ok : EXIT.invalid;
}
