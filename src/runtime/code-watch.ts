// `mesh up --watch`: watches the paths of every version's `watch:` rule and hands each burst of
// changes to `run` once it has been quiet for `debounceMs`, one run at a time per version (a
// change during a run starts one more run after it, with every file changed meanwhile).
import { watch } from 'chokidar';
import { rulesFor, type WatchRule } from './watch-rules.ts';

export interface CodeChange {
  rule: WatchRule;
  /** The changed files, absolute. */
  files: string[];
  /** When the first change of the burst was seen (Date.now()): the start of the inner loop. */
  savedAt: number;
}

export interface CodeWatchOptions {
  run(change: CodeChange): Promise<void>;
  onError(error: Error): void;
  debounceMs?: number;
  poll?: boolean;
}

export interface CodeWatch {
  close(): Promise<void>;
}

interface Pending {
  files: Set<string>;
  savedAt: number;
  timer?: NodeJS.Timeout;
}

/** Resolves once every path is watched. */
export async function watchCode(rules: readonly WatchRule[], options: CodeWatchOptions): Promise<CodeWatch> {
  const debounceMs = options.debounceMs ?? 100;
  const pending = new Map<string, Pending>();
  const running = new Map<string, Promise<void>>();
  let closed = false;
  const fire = (rule: WatchRule) => {
    const burst = pending.get(rule.proxy);
    if (!burst || closed) return;
    if (running.has(rule.proxy)) return; // the run in progress picks it up when it ends
    pending.delete(rule.proxy);
    const run = options
      .run({ rule, files: [...burst.files].sort(), savedAt: burst.savedAt })
      .catch((error: Error) => options.onError(error))
      .finally(() => {
        running.delete(rule.proxy);
        const next = pending.get(rule.proxy);
        if (next && !next.timer) fire(rule);
      });
    running.set(rule.proxy, run);
  };
  const changed = (path: string) => {
    for (const rule of rulesFor(rules, path)) {
      const burst = pending.get(rule.proxy) ?? { files: new Set<string>(), savedAt: Date.now() };
      burst.files.add(path);
      clearTimeout(burst.timer);
      burst.timer = setTimeout(() => {
        burst.timer = undefined;
        fire(rule);
      }, debounceMs);
      pending.set(rule.proxy, burst);
    }
  };
  const paths = [...new Set(rules.flatMap((r) => r.paths))];
  const watcher = watch(paths, {
    ignoreInitial: true,
    ignored: (path: string) => /(^|[/\\])(\.git|\.mesh|node_modules)([/\\]|$)/.test(path),
    usePolling: options.poll === true,
    interval: 100,
  });
  watcher.on('add', changed).on('change', changed).on('unlink', changed);
  watcher.on('error', (error) => options.onError(error as Error));
  await new Promise<void>((resolve) => watcher.once('ready', resolve));
  return {
    async close() {
      closed = true;
      for (const burst of pending.values()) clearTimeout(burst.timer);
      pending.clear();
      await watcher.close();
      await Promise.all(running.values());
    },
  };
}
