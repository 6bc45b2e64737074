// What both runtimes' followers of the Mesh file share (process/follow.ts, compose/follow.ts): a
// watcher on the mesh directory whose changes, debounced, run `sync` one at a time; a failed sync
// is a sentence, and the next change tries again.
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
  const watcher = await watchMeshDir(dir, {
    ...(options.poll ? { poll: true } : {}),
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timer = undefined;
        work = work
          .then(() => (signal.aborted ? undefined : options.sync(signal)))
          .catch((error: Error) => {
            if (!signal.aborted) say(`${options.what} failed: ${error.message}`);
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
