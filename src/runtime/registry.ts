// The runtimes localmesh knows, and the questions asked of all of them: which one to run a mesh
// with (`mesh up`), which one runs the mesh of a directory (every other command), which meshes
// run on this machine. A runtime is a folder of its own with an index.ts that makes a Runtime
// (runtime/contract.ts); registering it is one line in `registeredRuntimes`.
import { composeRuntime } from './compose/index.ts';
import { Engine } from './compose/engine.ts';
import type { ComposeRunState } from './compose/state.ts';
import type { Runtime } from './contract.ts';
import { processRuntime } from './process/index.ts';
import type { ProcessRunState } from './process/state.ts';

/** The run state of a registered runtime, tagged by `runtime`. */
export type RunState = ComposeRunState | ProcessRunState;

/**
 * Every runtime, in the order `mesh up` asks whether it can run here (the first that can is the
 * default). The composition root (cli/main.ts) calls this once: the Docker engine is made here.
 */
export function registeredRuntimes(): Runtime[] {
  return [composeRuntime(new Engine()), processRuntime()];
}
