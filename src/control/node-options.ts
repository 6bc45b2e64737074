// How the control plane's Node runs, for every launcher of `mesh control` (the Compose stack, the
// process runtime, bench/scale): NODE_OPTIONS in its environment. V8 lets its young generation
// grow to 64 MB per semi-space (about 134 MB) under the allocation bursts of pushes to hundreds of
// proxies, and seldom shrinks it back: most of the control plane's memory at scale, holding
// objects that die within a push. At 8 MB per semi-space, bench/scale at 300 simulated proxies
// peaks at 170 MB instead of 288 MB, for the same CPU per edit.
export const CONTROL_NODE_OPTIONS = '--max-semi-space-size=8';

/** The environment `mesh control` runs with: NODE_OPTIONS with the control plane's, after any given. */
export function controlEnv<T extends Record<string, string | undefined>>(env: T): T & { NODE_OPTIONS: string } {
  const given = env.NODE_OPTIONS?.trim();
  return { ...env, NODE_OPTIONS: given ? `${given} ${CONTROL_NODE_OPTIONS}` : CONTROL_NODE_OPTIONS };
}
