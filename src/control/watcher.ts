// Watches a mesh directory and reports each mesh file that was added, changed or removed. Sees
// editors' atomic saves (write a temp file, rename it over the original), new and deleted files
// and directories; skips dot-directories (`.mesh`, `.git`), dot-files (editors' swap files) and
// node_modules, as the loader does. `poll` stats the files instead of waiting for events, for
// mounts that deliver none (some Docker Desktop volumes, network filesystems).
// Events are a hint, not a record: chokidar drops a 'change' that follows another on the same file
// within 50 ms (its throttle has no trailing event), and polling misses a same-size rewrite within
// one timestamp tick. So after each event the watcher stats the file a few times across that
// window and reports a change it sees (a mesh edited every few tens of ms: `mesh canary`'s steps,
// a script), and the controller reads the files back after every reload.
import { stat } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { watch } from 'chokidar';

export interface WatchOptions {
  poll?: boolean;
  /** A mesh file (or a directory holding some) was added, changed or removed. */
  onChange(path: string): void;
  onError(error: Error): void;
}

export interface DirWatcher {
  close(): Promise<void>;
}

const POLL_INTERVAL_MS = 100;
/** When, after an event, the file is looked at again: across chokidar's 50 ms throttle. */
const FOLLOW_UP_MS = [15, 30, 45, 60];
const MESH_FILE = /\.ya?ml$/;

/** Resolves once the directory is being watched. */
export async function watchMeshDir(dir: string, options: WatchOptions): Promise<DirWatcher> {
  const skipped = (path: string) =>
    relative(dir, path)
      .split(sep)
      .some((part) => (part.startsWith('.') && part !== '..') || part === 'node_modules');
  const watcher = watch(dir, {
    ignoreInitial: true,
    ignored: skipped,
    usePolling: options.poll === true,
    interval: POLL_INTERVAL_MS,
  });
  const followUps = new Map<string, NodeJS.Timeout[]>();
  /** The file's identity and size and times as a string, '' when it is gone. */
  const look = (path: string) =>
    stat(path, { bigint: true }).then((s) => `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`, () => '');
  const followUp = (path: string) => {
    for (const t of followUps.get(path) ?? []) clearTimeout(t);
    const seen = look(path);
    let last: Promise<string> = seen;
    followUps.set(path, FOLLOW_UP_MS.map((ms) => setTimeout(() => {
      const before = last;
      last = look(path);
      void Promise.all([before, last]).then(([a, b]) => {
        if (a !== b && !closed) options.onChange(path);
      });
    }, ms)));
  };
  let closed = false;
  const report = (path: string) => {
    if (!MESH_FILE.test(path)) return;
    options.onChange(path);
    if (!options.poll) followUp(path);
  };
  watcher.on('add', report).on('change', report).on('unlink', report);
  watcher.on('unlinkDir', (path) => options.onChange(path));
  watcher.on('error', (error) => options.onError(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    close: () => {
      closed = true;
      for (const timers of followUps.values()) for (const t of timers) clearTimeout(t);
      return watcher.close();
    },
  };
}
