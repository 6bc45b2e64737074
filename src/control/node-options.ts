// How the control plane's Node runs, for every launcher of `mesh control` (the Compose stack, the
// process runtime, bench/scale): a V8 flag on its command line, NODE_OPTIONS and glibc's malloc
// setting in its environment.
// - V8 lets its young generation grow to 64 MB per semi-space (about 134 MB) under the allocation
//   bursts of pushes to hundreds of proxies, and seldom shrinks it back. Capped at 1 MB per
//   semi-space, the control plane of 10 proxies peaks about 15 MB lower than at 8 MB (bench/reload),
//   and at 1000 simulated proxies 284 MB instead of 386 MB (bench/scale), for about 40% more CPU
//   per edit there (260 ms instead of 185; write → all ACKed p95 still within its bound).
// - glibc gives each thread that allocates its own arena (V8's compiler and GC threads, libuv's
//   pool) and keeps what they free: one arena is about 15-20 MB less at 10 proxies. A Node built on
//   another C library ignores the variable.
// - V8 lets the old generation grow by a factor it picks from its GC speed (up to 4×) before the
//   next full GC; each edit's model and snapshots outlive a young-generation GC and die there. At
//   1.2×, the control plane of 10 proxies peaks about 10 MB lower (bench/reload: 112-114 MB in most
//   runs, against 122-125), and at 1000 simulated proxies about 30 MB lower (249 MB against 282),
//   for about 30% more CPU per edit there (bench/scale). NODE_OPTIONS does not take this flag: it
//   goes on the command line, before the script.
export const CONTROL_NODE_OPTIONS = '--max-semi-space-size=1';
export const CONTROL_NODE_FLAG = '--heap-growing-percent=20';
export const CONTROL_MALLOC_ARENA_MAX = '1';

/** `[node, script, ...args]` of `mesh control` with the control plane's V8 flag after node. */
export function controlCommand(command: readonly string[]): string[] {
  return [command[0]!, CONTROL_NODE_FLAG, ...command.slice(1)];
}

/**
 * The environment `mesh control` runs with: NODE_OPTIONS with the control plane's after any given,
 * and MALLOC_ARENA_MAX unless given.
 */
export function controlEnv<T extends Record<string, string | undefined>>(env: T): T & { NODE_OPTIONS: string; MALLOC_ARENA_MAX: string } {
  const given = env.NODE_OPTIONS?.trim();
  return {
    ...env,
    NODE_OPTIONS: given ? `${given} ${CONTROL_NODE_OPTIONS}` : CONTROL_NODE_OPTIONS,
    MALLOC_ARENA_MAX: env.MALLOC_ARENA_MAX || CONTROL_MALLOC_ARENA_MAX,
  };
}
