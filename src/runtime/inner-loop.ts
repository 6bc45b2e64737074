// `mesh up --watch`, the part both runtimes share: the Mesh's `watch:` rules, a watcher on their
// paths, and a record of each version's last loop (save → healthy → serving, or what failed) in
// a file of the run (DIR/.mesh/…/watch.json) that `mesh status` and the dashboard read. What a
// change does (restart a process, restart, sync or rebuild a container) is the runtime's `act`.
import { resolve } from 'node:path';
import { loadMesh } from '../config/index.ts';
import { watchMeshDir } from '../control/watcher.ts';
import type { VersionLoop } from './contract.ts';
import { watchCode, type CodeChange, type CodeWatch } from './code-watch.ts';
import { readJson, writeJson } from './json-file.ts';
import { watchRules, type WatchRule } from './watch-rules.ts';

export interface WatchFile {
  /** Whether code changes are acted on (`mesh up --watch`, or `w` in the dashboard); absent: on. */
  on?: boolean;
  /** Versions by proxy id (`SERVICE-VERSION`). */
  versions: Record<string, VersionLoop>;
}

export const readWatchFile = (path: string) => readJson<WatchFile>(path);

/** Whether the run's inner loop acts on code changes; undefined when none runs (no watch file). */
export async function codeWatchOn(path: string): Promise<boolean | undefined> {
  const file = await readWatchFile(path).catch(() => undefined);
  return file ? file.on !== false : undefined;
}

/** Turns the inner loop of a run on or off (the loop reads the switch at each change); false when none runs. */
export async function setCodeWatch(path: string, on: boolean): Promise<boolean> {
  const file = await readWatchFile(path).catch(() => undefined);
  if (!file) return false;
  await writeJson(path, { ...file, on });
  return true;
}

/** What the runtime did with a change, timed from `change.savedAt`. */
export interface Acted {
  healthyMs?: number;
  servingMs: number;
}

export interface InnerLoopOptions {
  /** The mesh directory as the user named it. */
  meshDir: string;
  /** Where the loops are recorded. */
  file: string;
  /** `signal` aborts when the run stops: what the runtime started for the change must not stay behind. */
  act(change: CodeChange, signal: AbortSignal): Promise<Acted>;
  say(line: string): void;
  poll?: boolean;
  /** A sentence per action the runtime does as another (the process runtime syncs by restarting). */
  explain?(rule: WatchRule): string | undefined;
  /** Whether changes are acted on from the start (`mesh up --watch`); the dashboard switches it. Default on. */
  on?: boolean;
}

/** One line per rule: what is watched, for which version, and what a change does. */
export const watchLines = (rules: readonly WatchRule[], meshDir: string, explain?: (rule: WatchRule) => string | undefined): string[] =>
  rules.length === 0
    ? [`--watch: no version in ${meshDir} has a watch: section (e.g. watch: { paths: [./src], action: restart }); nothing is watched.`]
    : rules.map((rule) => {
    const how = explain?.(rule);
    return `Watching ${rule.paths.join(', ')} for ${rule.proxy}: ${rule.action}${how ? ` (${how})` : ''}`;
  });

const ms = (value: number | undefined) => (value === undefined ? '' : `${(value / 1000).toFixed(2)} s`);

/**
 * Starts watching the rules of the Mesh as it is, and the mesh files: when a `watch:` section
 * changes (or a version with one is added or removed), the rules watched change with it.
 */
export async function startInnerLoop(options: InnerLoopOptions): Promise<CodeWatch> {
  const { meshDir, say } = options;
  const record: WatchFile = { on: options.on !== false, versions: {} };
  let writes = Promise.resolve();
  /** The switch as the file has it now (the dashboard writes it). */
  const on = async () => (record.on = (await codeWatchOn(options.file)) ?? record.on);
  const save = (proxy: string, loop: VersionLoop) => {
    record.versions[proxy] = loop;
    writes = writes
      .then(async () => {
        await on();
        await writeJson(options.file, structuredClone(record));
      })
      .catch((error: Error) => say(`${options.file} not written: ${error.message}`));
    return writes;
  };
  await writeJson(options.file, record);
  const stopping = new AbortController();

  async function run(change: CodeChange): Promise<void> {
    const { rule, files, savedAt } = change;
    if (!(await on())) return say(`${rule.proxy}: ${files.length === 1 ? files[0] : `${files.length} files`} changed; not acted on: watching code is off (w in the dashboard turns it on)`);
    const base = { action: rule.action, savedAt, files };
    say(`${rule.proxy}: ${files.length === 1 ? files[0] : `${files.length} files`} changed; ${rule.action}`);
    await save(rule.proxy, { ...base, state: 'restarting' });
    try {
      const done = await options.act(change, stopping.signal);
      await save(rule.proxy, { ...base, state: 'serving', ...done });
      say(`${rule.proxy} serves the new code ${ms(done.servingMs)} after the save${done.healthyMs === undefined ? '' : ` (healthy after ${ms(done.healthyMs)})`}`);
    } catch (error) {
      const problem = (error as Error).message;
      await save(rule.proxy, { ...base, state: 'failed', problem });
      say(`${rule.proxy}: ${rule.action} failed; the version serves as before. ${problem}`);
    }
  }

  let watching: { key: string; watcher?: CodeWatch } = { key: '' };
  let work = Promise.resolve();
  let closed = false;
  /** Watches the rules of the Mesh as it is now, if they are not those watched (an invalid Mesh leaves them). */
  const follow = async (first: boolean) => {
    const loaded = await loadMesh(meshDir);
    if (closed) return;
    if (!loaded.model) {
      if (first) say(`--watch: ${meshDir} is not valid now; code changes are watched once it is.`);
      return;
    }
    const rules = watchRules(loaded.model, meshDir);
    const key = JSON.stringify(rules);
    if (!first && key === watching.key) return;
    await watching.watcher?.close();
    if (await on()) watchLines(rules, meshDir, options.explain).forEach(say);
    watching = { key, ...(rules.length > 0 ? { watcher: await watchCode(rules, { poll: options.poll === true, onError: (e) => say(`--watch: ${e.message}`), run }) } : {}) };
  };
  await follow(true);
  let timer: NodeJS.Timeout | undefined;
  const files = await watchMeshDir(resolve(meshDir), {
    ...(options.poll ? { poll: true } : {}),
    onChange: () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        work = work.then(() => follow(false)).catch((error: Error) => say(`--watch: ${error.message}`));
      }, 200);
    },
    onError: (error) => say(`--watch: watching the mesh files failed: ${error.message}`),
  });
  return {
    async close() {
      closed = true;
      stopping.abort();
      clearTimeout(timer);
      await files.close();
      await work;
      await watching.watcher?.close();
      await writes;
    },
  };
}
