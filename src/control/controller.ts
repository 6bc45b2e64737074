// The control plane's core: mesh files → validate → compile → every proxy's snapshot in the
// xDS cache. An invalid mesh is never published: the last good version keeps serving and the
// diagnostics are kept for /status. File changes arrive in bursts (an editor's atomic save, a
// git checkout) and are coalesced: one reload once the burst has been quiet for `debounceMs`.
import { createHash } from 'node:crypto';
import { loadMeshFromSources, type SourceFile, type ValidationResult } from '../config/index.ts';
import { readMeshDir } from '../config/load.ts';
import { hasErrors, type Diagnostic } from '../config/diagnostics.ts';
import { compileMesh, type CompiledMesh, type ProxySnapshot } from '../compile/index.ts';
import type { AddressingMode } from './addressing-mode.ts';
import type { ControllerEvent } from './events.ts';

/** What the controller needs of the xDS snapshot cache (src/xds/cache.ts). */
export interface SnapshotSink {
  /** Checks every snapshot, then publishes them all; throws when one is inconsistent. */
  setSnapshots(snapshots: readonly ProxySnapshot[]): void;
  clearSnapshot(proxy: string): void;
}

export interface ControllerOptions {
  dir: string;
  addressing: AddressingMode;
  cache: SnapshotSink;
  onEvent(event: ControllerEvent): void;
  /** Quiet time that ends a burst of file changes. */
  debounceMs?: number;
  /** The mesh files; reads `dir` unless given (tests). */
  read?: (dir: string) => Promise<SourceFile[]>;
}

export interface ControlStatus {
  dir: string;
  /** The version serving: `COUNTER-HASH` (hash of the mesh files); absent before the first good load. */
  version?: string;
  /** When that version was published (ms since epoch). */
  publishedAt?: number;
  /** When a mesh file last changed (or the first load, ms since epoch). */
  lastChangeAt?: number;
  /** Whether the files as they are now are valid; when not, `version` is the last good one. */
  valid: boolean;
  /** The diagnostics of the files as they are now (errors first). */
  diagnostics: Diagnostic[];
  /** The proxies of the version serving. */
  proxies: string[];
}

export interface Controller {
  /** Reads, validates, compiles and publishes now; `files` changed at `changedAt`. */
  reload(files?: string[], changedAt?: number): Promise<void>;
  /** A file changed: reload once the burst is over. */
  changed(file: string): void;
  /** Resolves when no reload is pending or running. */
  idle(): Promise<void>;
  status(): ControlStatus;
  /** The snapshot serving for a proxy. */
  snapshot(proxy: string): ProxySnapshot | undefined;
  /** Cancels a pending reload. */
  close(): void;
}

export function createController(options: ControllerOptions): Controller {
  const { dir, addressing, cache, onEvent, debounceMs = 30, read = readMeshDir } = options;
  let serving: { version: string; hash: string; compiled: CompiledMesh; publishedAt: number } | undefined;
  let counter = 0;
  let state: Pick<ControlStatus, 'valid' | 'diagnostics' | 'lastChangeAt'> = { valid: false, diagnostics: [] };

  // Changes waiting for the burst to end, and the one reload allowed to run at a time.
  const pending = new Set<string>();
  let firstChangeAt = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;

  async function loadFiles(): Promise<{ hash: string; result: ValidationResult }> {
    let files: SourceFile[];
    try {
      files = await read(dir);
    } catch (error) {
      const message = `cannot read the mesh directory: ${(error as Error).message}`;
      return { hash: '', result: { diagnostics: [{ file: dir, line: 0, col: 0, severity: 'error', message }] } };
    }
    const hash = createHash('sha256');
    for (const file of files) hash.update(file.path).update('\0').update(file.text).update('\0');
    return { hash: hash.digest('hex').slice(0, 8), result: loadMeshFromSources(files, dir) };
  }

  async function load(): Promise<void> {
    const started = performance.now();
    const { hash, result } = await loadFiles();
    const took = () => Math.round((performance.now() - started) * 10) / 10;
    const invalid = (diagnostics: Diagnostic[]) => {
      state = { ...state, valid: false, diagnostics };
      onEvent({ type: 'invalid', diagnostics, serving: serving?.version, at: Date.now(), ms: took() });
    };
    // A valid model the compiler or the cache rejects is a bug, but still a reason not to publish.
    const bug = (what: string, error: unknown): Diagnostic[] => [
      { file: dir, line: 0, col: 0, severity: 'error', message: `the mesh is valid but ${what}: ${(error as Error).message}` },
      ...result.diagnostics,
    ];

    if (!result.model || hasErrors(result.diagnostics)) return invalid(result.diagnostics);
    if (serving && hash === serving.hash) {
      state = { ...state, valid: true, diagnostics: result.diagnostics };
      onEvent({ type: 'unchanged', version: serving.version, at: Date.now(), ms: took() });
      return;
    }
    let compiled: CompiledMesh;
    try {
      compiled = compileMesh(result.model, addressing.forModel(result.model));
    } catch (error) {
      return invalid(bug('could not be compiled', error));
    }
    const version = `${counter + 1}-${hash}`;
    const proxies = compiled.snapshots.map((s) => s.proxy);
    onEvent({ type: 'compiled', version, proxies, warnings: result.diagnostics.length, at: Date.now(), ms: took() });
    try {
      cache.setSnapshots(compiled.snapshots); // every snapshot is checked before any is published
    } catch (error) {
      return invalid(bug('the xDS cache refused its snapshots', error));
    }
    for (const old of serving?.compiled.snapshots ?? []) if (!proxies.includes(old.proxy)) cache.clearSnapshot(old.proxy);
    counter++;
    serving = { version, hash, compiled, publishedAt: Date.now() };
    state = { ...state, valid: true, diagnostics: result.diagnostics };
  }

  async function reload(files: string[] = [], changedAt = Date.now()): Promise<void> {
    if (files.length > 0) onEvent({ type: 'changed', files, at: changedAt, ms: Date.now() - changedAt });
    state = { ...state, lastChangeAt: changedAt };
    while (running) await running; // one at a time; a reload asked for during another runs after it
    running = load().finally(() => (running = undefined));
    return running;
  }

  function flush(): void {
    timer = undefined;
    const files = [...pending].sort();
    pending.clear();
    void reload(files, firstChangeAt);
  }

  return {
    reload,
    changed(file) {
      if (pending.size === 0) firstChangeAt = Date.now();
      pending.add(file);
      clearTimeout(timer);
      timer = setTimeout(flush, debounceMs);
    },
    async idle() {
      while (timer || running) await (running ?? new Promise((r) => setTimeout(r, debounceMs)));
    },
    status: () => ({
      dir,
      version: serving?.version,
      publishedAt: serving?.publishedAt,
      ...state,
      proxies: serving?.compiled.snapshots.map((s) => s.proxy) ?? [],
    }),
    snapshot: (proxy) => serving?.compiled.snapshots.find((s) => s.proxy === proxy),
    close() {
      clearTimeout(timer);
      timer = undefined;
      pending.clear();
    },
  };
}
