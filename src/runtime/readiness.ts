// Waiting for what `mesh up` started to be ready: the control plane's API, every proxy SYNCED
// (its /proxies), every app answering its healthcheck. Each wait ends early, with the reason, when
// the process it waits for exits.
import { connect } from 'node:net';
import { notSynced } from '../xds/sync.ts';
import type { ProxyStatus } from '../xds/types.ts';
import { sleep } from './interrupt.ts';

/** Thrown by a check of `waitUntil` when waiting longer is of no use (a container that failed): ends the wait with it. */
export class NeverReady extends Error {}

/**
 * Polls `check` until it returns true; throws a sentence on timeout (`what: not ready within
 * N s`, then `still()`: what it still waits for) or when `exited` settles first, the check's
 * NeverReady as it is, and `signal`'s reason (an Interrupted) as soon as it aborts.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean>,
  options: { timeoutMs: number; exited?: Promise<string>; intervalMs?: number; signal?: AbortSignal; still?: () => string },
): Promise<void> {
  let exit: string | undefined;
  void options.exited?.then((how) => (exit = how));
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    if (
      await check().catch((error: unknown) => {
        if (error instanceof NeverReady) throw error;
        return false;
      })
    ) {
      return;
    }
    options.signal?.throwIfAborted();
    if (exit) throw new Error(`${what}: ${exit}`);
    if (Date.now() > deadline) {
      throw new Error(`${what}: not ready within ${Math.round(options.timeoutMs / 1000)} s${options.still ? `; ${options.still()}` : ''}`);
    }
    await sleep(options.intervalMs ?? 100, options.signal);
  }
}

/** GET a URL with a short timeout: whether it answered 2xx or 3xx. */
export async function httpOk(url: string): Promise<boolean> {
  const res = await fetch(url, { signal: AbortSignal.timeout(2000), redirect: 'manual' });
  await res.body?.cancel();
  return res.status >= 200 && res.status < 400;
}

export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.setTimeout(2000);
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

export async function fetchProxies(api: string): Promise<ProxyStatus[]> {
  const res = await fetch(`${api}/proxies`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`${api}/proxies answered ${res.status}`);
  return (await res.json()) as ProxyStatus[];
}

/**
 * The proxies of `ids` that are not in sync now, each with why, e.g. `reviews-v1 (listeners
 * STALE)`: the server's own verdict (xds/sync.ts), so a type never asked for (EDS on Compose)
 * does not count.
 */
export async function unsynced(api: string, ids: readonly string[]): Promise<string[]> {
  return notSynced(await fetchProxies(api), ids);
}
