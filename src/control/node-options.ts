// How the control plane's Node runs, for every launcher of `mesh control` (the Compose stack, the
// process runtime, bench/scale): NODE_OPTIONS and glibc's malloc setting in its environment.
// - V8 lets its young generation grow to 64 MB per semi-space (about 134 MB) under the allocation
//   bursts of pushes to hundreds of proxies, and seldom shrinks it back. Capped at 1 MB per
//   semi-space, the control plane of 10 proxies peaks about 15 MB lower than at 8 MB (bench/reload),
//   and at 1000 simulated proxies 284 MB instead of 386 MB (bench/scale), for about 40% more CPU
//   per edit there (260 ms instead of 185; write → all ACKed p95 still within its bound).
// - glibc gives each thread that allocates its own arena (V8's compiler and GC threads, libuv's
//   pool) and keeps what they free: one arena is about 15-20 MB less at 10 proxies. A Node built on
//   another C library ignores the variable.
export const CONTROL_NODE_OPTIONS = '--max-semi-space-size=1';
export const CONTROL_MALLOC_ARENA_MAX = '1';

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
