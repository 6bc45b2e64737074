// The control plane's reloads parse only the files that changed: the loads through a ParseCache
// read the same as loads without one, edit after edit, broken files included.
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources, ParseCache, type SourceFile } from '../../../src/config/index.ts';
import { parseSources, readMeshDir } from '../../../src/config/load.ts';

const EXAMPLE = new URL('../../../examples/canary/', import.meta.url).pathname;

describe('ParseCache', () => {
  it('parses a file again only when its text changed, and forgets files no longer there', async () => {
    const files = await readMeshDir(EXAMPLE);
    const cache = new ParseCache();
    const first = parseSources(files, cache);
    const edited = files.map((f) => (f.path.endsWith('reviews.yaml') ? { ...f, text: f.text.replace(/weight: 90/, 'weight: 91') } : f));
    const second = parseSources(edited, cache);
    const byFile = (p: typeof first, name: string) => p.documents.filter((d) => d.file.endsWith(name)).map((d) => d.value);
    expect(byFile(second, 'mesh.yaml')[0]).toBe(byFile(first, 'mesh.yaml')[0]);
    expect(byFile(second, 'reviews.yaml')[0]).not.toBe(byFile(first, 'reviews.yaml')[0]);
    expect(byFile(second, 'reviews.yaml')).toEqual(byFile(parseSources(edited), 'reviews.yaml'));
    const without = edited.filter((f) => !f.path.endsWith('mesh.yaml'));
    parseSources(without, cache);
    expect(byFile(parseSources(edited, cache), 'mesh.yaml')[0]).not.toBe(byFile(first, 'mesh.yaml')[0]); // forgotten, parsed anew
  });

  it('gives the model and diagnostics of a load without it, edit after edit, a broken file and its fix included', async () => {
    const files = await readMeshDir(EXAMPLE);
    const reviews = files.find((f) => f.path.endsWith('reviews.yaml'))!;
    const withReviews = (text: string): SourceFile[] => files.map((f) => (f === reviews ? { ...f, text } : f));
    const versions = [
      reviews.text,
      reviews.text.replace(/weight: 90/, 'weight: 80').replace(/weight: 10/, 'weight: 20'),
      `${reviews.text}\n  oops: [\n`, // does not parse
      reviews.text.replace(/subset: v2/, 'subset: v9'), // parses, does not validate
      reviews.text,
    ];
    const cache = new ParseCache();
    for (const text of versions) {
      const cached = loadMeshFromSources(withReviews(text), EXAMPLE, undefined, {}, cache);
      const fresh = loadMeshFromSources(withReviews(text), EXAMPLE);
      expect(cached.diagnostics).toEqual(fresh.diagnostics);
      expect(cached.model).toEqual(fresh.model);
    }
  });
});
