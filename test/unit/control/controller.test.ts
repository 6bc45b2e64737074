// The controller against the real snapshot cache: what gets published, and what never does.
import { appendFile, cp, mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { SnapshotCache } from '../../../src/xds/cache.ts';
import { applyEdit } from '../../../src/config/apply-edit.ts';
import { readMeshDir } from '../../../src/config/load.ts';
import { createController } from '../../../src/control/controller.ts';
import { addressingMode, composeMode, portMapMode } from '../../../src/control/addressing-mode.ts';
import type { ControllerEvent } from '../../../src/control/events.ts';
import type { AddressingMode } from '../../../src/control/addressing-mode.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;

async function setup(addressing: AddressingMode = composeMode(), debounceMs = 30) {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-controller-'));
  await cp(EXAMPLE, dir, { recursive: true });
  const cache = new SnapshotCache();
  const events: ControllerEvent[] = [];
  const controller = createController({ dir, addressing, cache, onEvent: (e) => events.push(e), debounceMs });
  const edit = async (file: string, change: (text: string) => string) => {
    const path = join(dir, file);
    await writeFile(path, change(await readFile(path, 'utf8')));
    return path;
  };
  return { dir, cache, events, controller, edit, types: () => events.map((e) => e.type) };
}

describe('controller', () => {
  it('publishes every proxy of a valid mesh and reports the version', async () => {
    const { cache, controller, types } = await setup();
    await controller.reload();
    expect(types()).toEqual(['compiled']);
    expect(cache.proxies()).toEqual(['mesh-gateway', 'reviews-v1', 'reviews-v2']);
    const status = controller.status();
    expect(status).toMatchObject({ valid: true, diagnostics: [], proxies: ['mesh-gateway', 'reviews-v1', 'reviews-v2'] });
    expect(status.version).toMatch(/^1-[0-9a-f]{8}$/);
    expect(controller.snapshot('reviews-v1')?.proxy).toBe('reviews-v1');
  });

  it('a weight edit publishes a new version that changes routes only', async () => {
    const { cache, controller, edit } = await setup();
    await controller.reload();
    const before = cache.getSnapshot('mesh-gateway')!.types;
    await edit('reviews.yaml', (t) => t.replace('weight: 90', 'weight: 60').replace('weight: 10', 'weight: 40'));
    await controller.reload();
    const after = cache.getSnapshot('mesh-gateway')!.types;
    expect(controller.status().version).toMatch(/^2-/);
    expect(after.routes.version).not.toBe(before.routes.version);
    expect(after.clusters.version).toBe(before.clusters.version);
    expect(after.listeners.version).toBe(before.listeners.version);
  });

  it('never publishes an invalid edit: the last good version keeps serving, the diagnostics are reported', async () => {
    const { cache, controller, edit, events, types } = await setup();
    await controller.reload();
    const good = controller.status().version;
    const published = cache.getSnapshot('mesh-gateway');
    const path = await edit('reviews.yaml', (t) => t.replace('subset: v2', 'subset: v9'));
    await controller.reload([path]);
    expect(types()).toEqual(['compiled', 'changed', 'invalid']);
    expect(cache.getSnapshot('mesh-gateway')).toBe(published);
    const status = controller.status();
    expect(status).toMatchObject({ valid: false, version: good });
    expect(status.diagnostics[0]).toMatchObject({ file: path, line: 18, col: 21, severity: 'error' });
    expect(events[2]).toMatchObject({ type: 'invalid', serving: good });

    // Reverting it is valid again, and the same version.
    await edit('reviews.yaml', (t) => t.replace('subset: v9', 'subset: v2'));
    await controller.reload([path]);
    expect(types().slice(3)).toEqual(['changed', 'unchanged']);
    expect(controller.status()).toMatchObject({ valid: true, version: good, diagnostics: [] });
  });

  it('publishes nothing when the first load is invalid', async () => {
    const { cache, controller, edit } = await setup();
    await edit('mesh.yaml', (t) => t.replace('kind: Mesh', 'kind: Mesh\n  oops'));
    await controller.reload();
    expect(cache.proxies()).toEqual([]);
    expect(controller.status()).toMatchObject({ valid: false, version: undefined, proxies: [] });
    expect(controller.status().diagnostics.length).toBeGreaterThan(0);
  });

  it('reloads at once on a single change after a quiet time, without waiting for the debounce', async () => {
    const { controller, edit, events, types } = await setup(composeMode(), 5000);
    await controller.reload();
    const path = await edit('reviews.yaml', (t) => t.replace(/weight: \d+(\s+# stable)/, 'weight: 70$1').replace(/weight: \d+(\s+# canary)/, 'weight: 30$1'));
    const saved = Date.now();
    controller.changed(path);
    await vi.waitFor(() => expect(types()).toHaveLength(3), { timeout: 4000, interval: 5 });
    expect(types()).toEqual(['compiled', 'changed', 'compiled']);
    expect(events[2]!.at - saved).toBeLessThan(2500); // not the 5 s of the debounce
    controller.close();
  });

  it('takes one save seen several times at once (a rename and the events around it) as one change, without the debounce', async () => {
    const { controller, edit, events, types } = await setup(composeMode(), 5000);
    await controller.reload();
    const path = await edit('reviews.yaml', (t) => t.replace(/weight: \d+(\s+# stable)/, 'weight: 70$1').replace(/weight: \d+(\s+# canary)/, 'weight: 30$1'));
    const saved = Date.now();
    for (let i = 0; i < 4; i++) controller.changed(path);
    await vi.waitFor(() => expect(types()).toHaveLength(3), { timeout: 4000, interval: 5 });
    expect(types()).toEqual(['compiled', 'changed', 'compiled']);
    expect(events[2]!.at - saved).toBeLessThan(2500); // not the 5 s of the debounce
    controller.close();
  });

  it('coalesces the changes that follow the first within the debounce into one more reload', async () => {
    const { controller, edit, events, types } = await setup(composeMode(), 200);
    await controller.reload();
    const paths = [];
    for (const weight of [80, 70, 60]) {
      paths.push(await edit('reviews.yaml', (t) => t.replace(/weight: \d+(\s+# stable)/, `weight: ${weight}$1`).replace(/weight: \d+(\s+# canary)/, `weight: ${100 - weight}$1`)));
    }
    // The first event reloads at once (the files as written); the burst that follows, once quiet.
    for (const path of [...paths, join(controller.status().dir, 'gateway.yaml')]) {
      controller.changed(path);
      await new Promise((r) => setTimeout(r, 5));
    }
    await controller.idle();
    expect(types()).toEqual(['compiled', 'changed', 'compiled', 'changed', 'unchanged']);
    expect(events[3]).toMatchObject({ files: [join(controller.status().dir, 'gateway.yaml'), paths[0]] });
    expect(controller.status().version).toMatch(/^2-/);
  });

  it('forgets the proxies of a removed version', async () => {
    const { cache, controller, edit, dir } = await setup();
    await controller.reload();
    // The routes and the canary's plan go with v2.
    await rm(join(dir, 'reviews.yaml'));
    await rm(join(dir, 'canary.yaml'));
    await edit('mesh.yaml', (t) => t.replace(/\n        v2:[\s\S]*$/, '\n'));
    await controller.reload();
    expect(controller.status().valid).toBe(true);
    expect(cache.proxies()).toEqual(['mesh-gateway', 'reviews-v1']);
  });

  it('keeps the ports of a port map across reloads and gives new proxies new ports', async () => {
    const mode = portMapMode('ports.json', { ports: { 'outbound reviews-v1': 21001, 'inbound reviews-v1 9080': 21002, 'admin reviews-v1': 21003 } });
    const { controller, edit } = await setup(mode);
    await controller.reload();
    const ports = (proxy: string) =>
      controller.snapshot(proxy)!.listeners.map((l) => (l.value.address as { socket_address?: { port_value: number } } | undefined)?.socket_address?.port_value);
    expect(ports('reviews-v1')).toContain(21001);
    expect(ports('reviews-v1')).toContain(21002);
    const v2 = ports('reviews-v2').filter((p) => p !== undefined);
    expect(Math.min(...v2)).toBeGreaterThan(21003);
    await edit('mesh.yaml', (t) => t.replace('    reviews:', '    ratings:\n      ports: [{ port: 9080 }]\n      versions:\n        v1: { command: [node, x.mjs] }\n    reviews:'));
    await controller.reload();
    expect(controller.status().proxies).toContain('ratings-v1');
    expect(ports('reviews-v1')).toContain(21001);
    expect(ports('reviews-v2')).toEqual(expect.arrayContaining(v2));
    expect(mode.statsUrl('reviews-v1')).toBe('http://127.0.0.1:21003/stats');
  });
});

/** The example's files, read once; `read` hands out whatever `files` holds at the time (a directory no watcher reports on). */
async function inMemory(options: { settleMs?: number; recheckMs?: number; stableMs?: number } = {}) {
  const dir = '/mesh';
  const files = new Map<string, string>();
  for (const name of ['mesh.yaml', 'gateway.yaml', 'reviews.yaml']) files.set(`${dir}/${name}`, await readFile(join(EXAMPLE, name), 'utf8'));
  const events: ControllerEvent[] = [];
  let reads = 0;
  let failRead: Error | undefined;
  /** How long the next read takes (a read slow under load). */
  let slowRead = 0;
  /** Files the next read sees empty: the moment of a save in place between truncate and write. */
  let torn = new Set<string>();
  const controller = createController({
    dir,
    addressing: composeMode(),
    cache: new SnapshotCache(),
    onEvent: (e) => events.push(e),
    debounceMs: 10,
    ...options,
    read: async () => {
      reads++;
      const slow = slowRead;
      slowRead = 0;
      if (slow) await new Promise((r) => setTimeout(r, slow));
      if (failRead) throw failRead;
      const seen = torn;
      torn = new Set();
      return [...files].sort().map(([path, text]) => ({ path, text: seen.has(path) ? '' : text }));
    },
  });
  const weights = (v1: number) => (text: string) =>
    text.replace(/weight: \d+(\s+# stable)/, `weight: ${v1}$1`).replace(/weight: \d+(\s+# canary)/, `weight: ${100 - v1}$1`);
  const set = (name: string, change: (text: string) => string) => files.set(`${dir}/${name}`, change(files.get(`${dir}/${name}`)!));
  const until = async (what: string, ok: () => boolean, ms = 2000) => {
    const deadline = Date.now() + ms;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms; events ${JSON.stringify(events.map((e) => e.type))}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const gatewayWeights = () => JSON.stringify(controller.snapshot('mesh-gateway')!.routes[0]!.value).match(/"weight":\d+/g);
  return { dir, files, events, controller, set, weights, until, gatewayWeights, reads: () => reads, failReads: (e?: Error) => (failRead = e), slowNextRead: (ms: number) => (slowRead = ms), tear: (name: string) => torn.add(`${dir}/${name}`) };
}

/** Once the read-back after the first load has started reading, a save is reported: how long until it is compiled, and the reads meanwhile. */
async function saveDuringReadBack(memory: Awaited<ReturnType<typeof inMemory>>): Promise<{ ms: number; reads: number }> {
  const { controller, set, weights, events, reads, until } = memory;
  const before = reads();
  await until('the read-back has started reading', () => reads() > before, 1000);
  set('reviews.yaml', weights(30));
  const changedAt = Date.now();
  controller.changed('/mesh/reviews.yaml');
  await until('the save is loaded', () => events.some((e) => e.type === 'compiled' && e.version.startsWith('2-')), 3000);
  return { ms: Date.now() - changedAt, reads: reads() - before };
}

describe('controller: what serves is the files as they are', () => {
  it('reads the files back after a reload and loads a save no event told of (the last of a burst)', async () => {
    const { controller, set, weights, events, gatewayWeights, until } = await inMemory({ settleMs: 50, recheckMs: 0 });
    await controller.reload();
    set('reviews.yaml', weights(50));
    controller.changed('/mesh/reviews.yaml');
    expect(controller.status().pending).toBe(true);
    await until('the reported save is loaded', () => events.some((e) => e.type === 'compiled' && e.version.startsWith('2-')));
    // The watcher drops the next save (chokidar's 50 ms 'change' throttle): nothing calls changed().
    set('reviews.yaml', weights(80));
    expect(controller.status().pending).toBe(true);
    await controller.idle();
    expect(gatewayWeights()).toEqual(['"weight":80', '"weight":20']);
    expect(events.map((e) => e.type)).toEqual(['compiled', 'changed', 'compiled', 'changed', 'compiled']);
    expect(events[3]).toMatchObject({ type: 'changed', files: ['/mesh/reviews.yaml'], unreported: true });
    expect(controller.status()).toMatchObject({ valid: true, pending: false });
    expect(controller.status().version).toMatch(/^3-/);
    controller.close();
  });

  it('a save the watcher reports while a read-back is under way is reported once, as the change the watcher saw', async () => {
    const { controller, set, weights, events, reads, until } = await inMemory({ settleMs: 20, recheckMs: 0 });
    await controller.reload();
    const before = reads();
    await until('the read-back has read once', () => reads() > before, 1000);
    set('reviews.yaml', weights(30)); // between the read-back's two reads
    controller.changed('/mesh/reviews.yaml');
    await controller.idle();
    expect(events.map((e) => e.type)).toEqual(['compiled', 'changed', 'compiled']);
    expect(events[1]).not.toHaveProperty('unreported');
    controller.close();
  });

  it('a read-back waiting to read again when a save is reported gives way at once to the reload of that save', async () => {
    // These reads have no stats, so every read is taken only once a second one agrees, stableMs later.
    const memory = await inMemory({ settleMs: 20, recheckMs: 0, stableMs: 300 });
    await memory.controller.reload();
    const { ms, reads } = await saveDuringReadBack(memory);
    // The read-back's one read, then the reload's two; not the read-back's two or three first.
    expect(reads).toBe(3);
    expect(ms).toBeLessThan(550);
    await memory.controller.idle();
    expect(memory.events.map((e) => e.type)).toEqual(['compiled', 'changed', 'compiled']);
    memory.controller.close();
  });

  it('a read-back whose read is slow when a save is reported is not awaited: the reload of that save runs at once', async () => {
    const memory = await inMemory({ settleMs: 20, recheckMs: 0 });
    await memory.controller.reload();
    memory.slowNextRead(800); // the read-back's read
    const { ms } = await saveDuringReadBack(memory);
    expect(ms).toBeLessThan(500);
    await memory.controller.idle();
    expect(memory.events.map((e) => e.type)).toEqual(['compiled', 'changed', 'compiled']);
    memory.controller.close();
  });

  it('never serves a file read in the middle of a save in place (empty for a moment): it reads until two reads agree', async () => {
    const { controller, set, weights, events, gatewayWeights, tear } = await inMemory({ settleMs: 20, recheckMs: 0 });
    await controller.reload();
    set('reviews.yaml', weights(60));
    tear('reviews.yaml'); // the first read after the event sees the file truncated, not yet written
    controller.changed('/mesh/reviews.yaml');
    await controller.idle();
    // An empty reviews.yaml is a valid mesh without the route: published, the gateway would answer 404.
    expect(events.map((e) => e.type)).toEqual(['compiled', 'changed', 'compiled']);
    expect(gatewayWeights()).toEqual(['"weight":60', '"weight":40']);
    expect(controller.status().version).toMatch(/^2-/);
    controller.close();
  });

  it('while quiet, re-reads the files every recheckMs and loads what changed unseen; nothing when nothing did', async () => {
    const { controller, set, weights, events, gatewayWeights, until, reads } = await inMemory({ settleMs: 20, recheckMs: 50 });
    await controller.reload();
    await controller.idle();
    const before = reads();
    await new Promise((r) => setTimeout(r, 180));
    expect(reads() - before).toBeGreaterThanOrEqual(2);
    expect(events.map((e) => e.type)).toEqual(['compiled']);
    set('reviews.yaml', weights(70));
    await until('the unseen save is loaded', () => gatewayWeights()?.[0] === '"weight":70');
    expect(events.slice(1).map((e) => e.type)).toEqual(['changed', 'compiled']);
    controller.close();
    const closedAt = reads();
    await new Promise((r) => setTimeout(r, 120));
    expect(reads()).toBe(closedAt);
  });

  it('keeps the last good version serving when loading throws (a loader bug), names the file, and serves the next good save', async () => {
    const { controller, files, set, weights, events, gatewayWeights } = await inMemory({ settleMs: 20, recheckMs: 0 });
    await controller.reload();
    const good = controller.status().version;
    // Not a string: the YAML parser throws a TypeError on it, as a loader bug would.
    files.set('/mesh/broken.yaml', new Uint8Array([58, 32, 45]) as unknown as string);
    controller.changed('/mesh/broken.yaml');
    await controller.idle();
    const status = controller.status();
    expect(status).toMatchObject({ valid: false, pending: false, version: good });
    expect(status.diagnostics).toEqual([
      expect.objectContaining({ file: '/mesh/broken.yaml', severity: 'error', message: expect.stringContaining('localmesh failed to read this file'), hint: expect.stringContaining('bug in localmesh') }),
    ]);
    expect(events.at(-1)).toMatchObject({ type: 'invalid', serving: good });
    files.delete('/mesh/broken.yaml');
    set('reviews.yaml', weights(60));
    controller.changed('/mesh/reviews.yaml');
    await controller.idle();
    expect(controller.status()).toMatchObject({ valid: true, pending: false, diagnostics: [] });
    expect(gatewayWeights()).toEqual(['"weight":60', '"weight":40']);
    controller.close();
  });

  for (const text of [': -', '&!{}']) {
    it(`${JSON.stringify(text)} in a mesh file is a diagnostic, never an exception; the last good version serves`, async () => {
      const { controller, files, events } = await inMemory({ settleMs: 20, recheckMs: 0 });
      await controller.reload();
      const good = controller.status().version;
      files.set('/mesh/bad.yaml', text);
      controller.changed('/mesh/bad.yaml');
      await controller.idle();
      expect(controller.status()).toMatchObject({ valid: false, version: good });
      expect(controller.status().diagnostics.filter((d) => d.severity === 'error').length).toBeGreaterThan(0);
      expect(events.at(-1)).toMatchObject({ type: 'invalid', serving: good });
      controller.close();
    });
  }

  it('a directory that cannot be read is a diagnostic, and the files are loaded once they can be', async () => {
    const { controller, failReads, set, weights, gatewayWeights, until } = await inMemory({ settleMs: 20, recheckMs: 40 });
    await controller.reload();
    failReads(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }));
    set('reviews.yaml', weights(20));
    controller.changed('/mesh/reviews.yaml');
    await controller.idle();
    expect(controller.status()).toMatchObject({ valid: false, version: expect.stringMatching(/^1-/) });
    expect(controller.status().diagnostics[0]!.message).toContain('cannot read the mesh directory: EACCES');
    failReads(undefined);
    await until('the files are loaded once readable', () => gatewayWeights()?.[0] === '"weight":20');
    expect(controller.status()).toMatchObject({ valid: true });
    controller.close();
  });
});

/**
 * The example in a temp dir, read from disk as the control plane reads it (with stats), waiting
 * `stableMs` for a second read; `reads` counts the reads done.
 */
async function onDisk(stableMs: number, counted = true) {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-settled-'));
  await cp(EXAMPLE, dir, { recursive: true });
  const events: ControllerEvent[] = [];
  let reads = 0;
  const countedRead = async (at: string) => {
    const files = await readMeshDir(at, { stat: true });
    reads++;
    return files;
  };
  const controller = createController({
    dir,
    addressing: composeMode(),
    cache: new SnapshotCache(),
    onEvent: (e) => events.push(e),
    stableMs,
    settleMs: 20,
    recheckMs: 0,
    ...(counted ? { read: countedRead } : {}), // else the control plane's own read
  });
  const path = join(dir, 'reviews.yaml');
  const original = await readFile(path, 'utf8');
  const weights = (v1: number) => original.replace(/weight: \d+(\s+# stable)/, `weight: ${v1}$1`).replace(/weight: \d+(\s+# canary)/, `weight: ${100 - v1}$1`);
  const gatewayWeights = () => JSON.stringify(controller.snapshot('mesh-gateway')!.routes[0]!.value).match(/"weight":\d+/g);
  const timed = async (task: Promise<void>) => {
    const started = performance.now();
    await task;
    return performance.now() - started;
  };
  /** Resolves once the controller has read the files after this call. */
  const nextRead = async () => {
    const before = reads;
    while (reads === before) await new Promise((r) => setTimeout(r, 2));
  };
  const loaded = async () => {
    await controller.reload();
    await controller.idle();
  };
  return { dir, path, events, controller, weights, gatewayWeights, timed, nextRead, loaded, types: () => events.map((e) => e.type) };
}

describe('controller: a read is taken at once when the stats show the files complete, else read twice', () => {
  it('takes a save renamed into place (mesh weight, the dashboard) without waiting stableMs', async () => {
    const { dir, path, controller, weights, gatewayWeights, timed, loaded } = await onDisk(1000, false);
    await loaded();
    expect(await applyEdit(dir, path, weights(60))).toEqual({ written: true });
    // The wait alone would take 1000 ms; the read, validation and compilation take a few.
    expect(await timed(controller.reload([path]))).toBeLessThan(250);
    expect(gatewayWeights()).toEqual(['"weight":60', '"weight":40']);
    expect(controller.status().version).toMatch(/^2-/);
    await controller.idle(); // the read-back: the files are as loaded, taken at once too
    expect(controller.status()).toMatchObject({ valid: true, pending: false });
    controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('never serves a file truncated by a save in place, even one renamed into place before: it waits for the rest', async () => {
    const { dir, path, controller, weights, gatewayWeights, timed, nextRead, loaded, types } = await onDisk(200);
    await loaded();
    await applyEdit(dir, path, weights(70)); // ctime > mtime: taken at once
    await controller.reload([path]);
    await controller.idle();
    await truncate(path); // the save in place starts
    const reloading = timed(controller.reload([path]));
    await nextRead(); // the controller has read the file empty (a valid mesh without the route)
    await appendFile(path, weights(60)); // the rest of the save
    expect(await reloading).toBeGreaterThanOrEqual(200);
    expect(types()).toEqual(['compiled', 'changed', 'compiled', 'changed', 'compiled']);
    expect(gatewayWeights()).toEqual(['"weight":60', '"weight":40']);
    expect(controller.status().version).toMatch(/^3-/);
    controller.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a file deleted and written anew twice: absent, then written, it is served only once complete', async () => {
    const { dir, path, controller, weights, gatewayWeights, timed, nextRead, loaded, types } = await onDisk(200);
    await loaded();
    await rm(path); // vim's and emacs's save: the file renamed away, a new one written
    const reloading = timed(controller.reload([path]));
    await nextRead(); // read without the file
    await writeFile(path, weights(30));
    expect(await reloading).toBeGreaterThanOrEqual(200);
    expect(gatewayWeights()).toEqual(['"weight":30', '"weight":70']);
    await controller.idle();
    // Written at once after the delete: complete when read, but a new file written where it stands
    // looks like one half written (ctime == mtime), so it is read twice too.
    await rm(path);
    await writeFile(path, weights(40));
    expect(await timed(controller.reload([path]))).toBeGreaterThanOrEqual(200);
    expect(gatewayWeights()).toEqual(['"weight":40', '"weight":60']);
    expect(types()).toEqual(['compiled', 'changed', 'compiled', 'changed', 'compiled']);
    controller.close();
    await rm(dir, { recursive: true, force: true });
  });
});

describe('a port map read again (the process runtime moved an app or added a version)', () => {
  it('refresh() compiles the same files with the moved port: the sidecar inbound cluster points at it, nothing else changes', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'localmesh-portmap-')), 'addressing.json');
    const ports = { 'outbound reviews-v1': 21001, 'inbound reviews-v1 9080': 21002, 'app reviews-v1 9080': 21003 };
    await writeFile(file, JSON.stringify({ ports }));
    const mode = await addressingMode(file);
    const { cache, controller, types } = await setup(mode);
    await controller.reload();
    const inbound = () => JSON.stringify(controller.snapshot('reviews-v1')!.clusters.find((c) => c.name === 'inbound|9080||')!.value);
    expect(inbound()).toContain('21003');
    const before = cache.getSnapshot('reviews-v1')!.types;
    expect(await mode.reread!()).toBe(false); // the same file: nothing moved
    await writeFile(file, JSON.stringify({ ports: { ...ports, 'app reviews-v1 9080': 21999 } }));
    expect(await mode.reread!()).toBe(true);
    await controller.refresh();
    expect(types()).toEqual(['compiled', 'compiled']);
    expect(controller.status().version).toMatch(/^2-/);
    expect(inbound()).toContain('21999');
    const after = cache.getSnapshot('reviews-v1')!.types;
    expect(after.clusters.version).not.toBe(before.clusters.version);
    expect(after.listeners.version).toBe(before.listeners.version);
    expect(after.routes.version).toBe(before.routes.version);
    controller.close();
    await rm(dirname(file), { recursive: true, force: true });
  });
});
