// The watcher on a real directory: what editors and tools do to files, with events and by polling.
import { mkdtemp, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { watchMeshDir, type DirWatcher } from '../../../src/control/watcher.ts';

let watcher: DirWatcher | undefined;
afterEach(async () => {
  await watcher?.close();
  watcher = undefined;
});

async function watched(poll: boolean) {
  const dir = await mkdtemp(join(tmpdir(), 'localmesh-watch-'));
  await writeFile(join(dir, 'mesh.yaml'), 'a: 1\n');
  const seen: string[] = [];
  watcher = await watchMeshDir(dir, { poll, onChange: (path) => seen.push(path), onError: (e) => seen.push(`error ${e.message}`) });
  // Polling compares each file with its first stat, which may come after 'ready': let it be taken.
  if (poll) await new Promise((r) => setTimeout(r, 300));
  /** Resolves when `path` has been reported `times` times; fails after 3 s. */
  const reported = async (path: string, times = 1) => {
    const deadline = Date.now() + 3000;
    while (seen.filter((p) => p === path).length < times) {
      if (Date.now() > deadline) throw new Error(`${path} was not reported; saw ${JSON.stringify(seen)}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { dir, seen, reported };
}

for (const poll of [false, true]) {
  describe(poll ? 'polling' : 'with file events', () => {
    it('reports an atomic save (write a temp file, rename it over the original)', async () => {
      const { dir, reported } = await watched(poll);
      await writeFile(join(dir, '.mesh.yaml.tmp'), 'a: 2\n');
      await rename(join(dir, '.mesh.yaml.tmp'), join(dir, 'mesh.yaml'));
      await reported(join(dir, 'mesh.yaml'));
    });

    if (!poll) {
      it("reports a second save within chokidar's 50 ms throttle of the first (chokidar drops that event; its raw one is reported)", async () => {
        const { dir, seen, reported } = await watched(poll);
        const file = join(dir, 'mesh.yaml');
        await writeFile(file, 'a: 2\n');
        await reported(file);
        await new Promise((r) => setTimeout(r, 60)); // the first save's events are in
        const before = seen.filter((p) => p === file).length;
        await writeFile(file, 'a: 3\n');
        await reported(file, before + 1);
        await new Promise((r) => setTimeout(r, 20));
        const between = seen.filter((p) => p === file).length;
        await writeFile(file, 'a: 4\n');
        await reported(file, between + 1);
      });
    }

    it('reports an edit in place, a new file and a deleted file', async () => {
      const { dir, reported } = await watched(poll);
      await writeFile(join(dir, 'mesh.yaml'), 'a: 3\n');
      await reported(join(dir, 'mesh.yaml'));
      await writeFile(join(dir, 'new.yml'), 'b: 1\n');
      await reported(join(dir, 'new.yml'));
      await rm(join(dir, 'new.yml'));
      await reported(join(dir, 'new.yml'), 2);
    });

    it('sees files in new subdirectories and skips dot-directories, dot-files and other files', async () => {
      const { dir, seen, reported } = await watched(poll);
      await mkdir(join(dir, '.mesh'));
      await writeFile(join(dir, '.mesh', 'compose.yaml'), 'x: 1\n');
      await writeFile(join(dir, '.mesh.yaml.swp'), 'x');
      await writeFile(join(dir, 'notes.txt'), 'x');
      await mkdir(join(dir, 'routes'));
      await writeFile(join(dir, 'routes', 'vs.yaml'), 'c: 1\n');
      await reported(join(dir, 'routes', 'vs.yaml'));
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual([join(dir, 'routes', 'vs.yaml')]);
    });
  });
}
