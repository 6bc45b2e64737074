// Waiting for an app of the process runtime to answer its healthcheck, and the sentence when a
// process fails to start (with its log's tail).
import { fileTail } from '../log-tail.ts';
import { httpOk, tcpOpen, waitUntil } from '../readiness.ts';
import type { AppSpec } from './plan.ts';
import type { Started } from './supervise.ts';

/** A failure of one process: the sentence, and its log's tail. */
export async function startError(what: string, log: string): Promise<Error> {
  return new Error(`${what}\n  ${log}:\n${await fileTail(log)}`);
}

export async function appReady(app: AppSpec, started: Started, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const { health } = app;
  const check = 'url' in health ? () => httpOk(health.url) : () => tcpOpen(health.port);
  const where = 'url' in health ? health.url : `127.0.0.1:${health.port}`;
  await waitUntil(`the app ${app.name} (${where})`, check, { timeoutMs, exited: started.exited, ...(signal ? { signal } : {}) }).catch(async (e) => {
    throw signal?.aborted ? e : await startError((e as Error).message, app.log);
  });
}
