// What both runtimes' followers of the Mesh file share (process/follow.ts, compose/follow.ts): a
// watcher on the mesh directory whose changes, debounced, run `sync` one at a time; a failed sync
// is a sentence, and the next change tries again. A change while a sync waits (for a version it
// added to be ready, say) supersedes it: its signal aborts, and the next sync starts from the
// files as they are then (a version added and removed again is not waited for).
import { watchMeshDir } from '../control/watcher.ts';
import { sleep } from './interrupt.ts';

export interface MeshFollower {
  /** Resolves once the changes seen so far are done. */
  idle(): Promise<void>;
  /** Stops watching (aborting `signal`), then waits for the sync under way. */
  close(): Promise<void>;
}

export interface MeshFollowerOptions {
  dir: string;
  /** Brings what runs in line with the mesh files as they are now; `signal` aborts on close. */
  sync(signal: AbortSignal): Promise<void>;
  say(line: string): void;
  /** For the sentence when a sync fails: `Following the Mesh file failed: …`. */
  what: string;
  poll?: boolean;
  debounceMs?: number;
}

export async function followMeshDir(options: MeshFollowerOptions): Promise<MeshFollower> {
  const { dir, say } = options;
  let timer: NodeJS.Timeout | undefined;
  let work: Promise<void> = Promise.resolve();
  const stopping = new AbortController();
  const { signal } = stopping;
  /** The sync under way: a newer change supersedes it (its waits end), then runs after it. */
  let current: AbortController | undefined;
  const watcher = await watchMeshDir(dir, {
    ...(options.poll ? { poll: true } : {}),
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        current?.abort();
        const mine = new AbortController();
        current = mine;
        const both = AbortSignal.any([signal, mine.signal]);
        work = work
          .then(() => (both.aborted ? undefined : options.sync(both)))
          .catch((error: Error) => {
            if (!both.aborted) say(`${options.what} failed: ${error.message}`);
          });
      }, options.debounceMs ?? 200);
    },
    onError: (error) => say(`Watching ${dir} for added or removed versions failed: ${error.message}`),
  });
  return {
    async idle() {
      while (timer) await sleep(20);
      await work;
    },
    async close() {
      stopping.abort();
      clearTimeout(timer);
      await watcher.close();
      await work;
    },
  };
}
