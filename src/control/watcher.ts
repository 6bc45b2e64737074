// Watches a mesh directory and reports each mesh file that was added, changed or removed. Sees
// editors' atomic saves (write a temp file, rename it over the original), new and deleted files
// and directories; skips dot-directories (`.mesh`, `.git`), dot-files (editors' swap files) and
// node_modules, as the loader does. `poll` stats the files instead of waiting for events, for
// mounts that deliver none (some Docker Desktop volumes, network filesystems).
// Events are a hint, not a record: chokidar drops a 'change' that follows another on the same file
// within 50 ms (its throttle has no trailing event), and polling misses a same-size rewrite within
// one timestamp tick. The controller therefore reads the files back after every reload. With file
// events, chokidar's raw events (fs.watch's own, not throttled) are reported too, so a save right
// after another is seen when it happens. One save gives several events (chokidar's and the raw ones,
// a rename's around it): a file is reported when its stat differs from the one last reported, so a
// save is reported once (a later event of it would look like a burst to the controller, which would
// then wait its debounce); a rewrite within one clock tick at the same size may look unchanged, and
// the controller's read-back after each reload finds it.
import { stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { watch } from 'chokidar';
import { fileStat, sameStat, type FileStat } from '../config/load.ts';

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
  let closed = false;
  /** Each reported file's stat when reported (null when it was gone). */
  const reported = new Map<string, FileStat | null>();
  const report = (path: string) => {
    if (!MESH_FILE.test(path)) return;
    void stat(path, { bigint: true }).then(fileStat, () => null).then((seen) => {
      const before = reported.get(path);
      const same = before !== undefined && (before === null || seen === null ? before === seen : sameStat(before, seen));
      if (closed || same) return;
      reported.set(path, seen);
      options.onChange(path);
    });
  };
  watcher.on('add', report).on('change', report).on('unlink', report);
  if (options.poll !== true) {
    watcher.on('raw', (_event, name, details) => {
      const watched = (details as { watchedPath?: string } | undefined)?.watchedPath;
      if (typeof name !== 'string' || name === '' || !watched) return;
      // A file's own watcher names the file; its directory's names an entry of it.
      const path = basename(watched) === name ? watched : join(watched, name);
      if (!skipped(path)) report(path);
    });
  }
  watcher.on('unlinkDir', (path) => options.onChange(path));
  watcher.on('error', (error) => options.onError(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    close: () => {
      closed = true;
      return watcher.close();
    },
  };
}
