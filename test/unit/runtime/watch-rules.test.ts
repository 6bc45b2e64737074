// A Mesh version's `watch:` section: the schema (Compose's develop.watch actions, errors at
// FILE:LINE:COL) and which version a changed path belongs to.
import { describe, expect, it } from 'vitest';
import { rulesFor, watchRules } from '../../../src/runtime/watch-rules.ts';
import { diagnostics, load } from '../config/fixtures.ts';

const mesh = (v2: string) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    reviews:
      ports: [{port: 9080}]
      versions:
        v1: {command: [node, app/server.mjs], watch: {paths: [app]}}
        v2: {command: [node, v2/server.mjs], ${v2}}
`;

const rules = (v2 = 'watch: {paths: [v2, shared/lib.mjs], ignore: ["*.md", "**/*.test.mjs", v2/fixtures], action: sync+restart}') =>
  watchRules(load({ 'mesh.yaml': mesh(v2) }).model!, '/m');

const hit = (path: string) => rulesFor(rules(), path).map((r) => r.proxy);

describe('watch: on a Mesh version', () => {
  it('takes paths, ignore and one of the actions, restart by default', () => {
    const [v1, v2] = rules();
    expect(v1).toMatchObject({ proxy: 'reviews-v1', action: 'restart', paths: ['/m/app'], ignore: [] });
    expect(v2).toMatchObject({ proxy: 'reviews-v2', action: 'sync+restart', paths: ['/m/v2', '/m/shared/lib.mjs'] });
  });

  it('an unknown action is an error where it is written', () => {
    const errors = diagnostics({ 'mesh.yaml': mesh('watch: {paths: [v2], action: reload}') }, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^mesh\.yaml:10:\d+ error: .*(restart|sync|rebuild)/);
  });

  it('paths are required', () => {
    expect(diagnostics({ 'mesh.yaml': mesh('watch: {action: restart}') }, 'error')[0]).toMatch(/^mesh\.yaml:10:\d+ error: .*paths/);
  });

  it('a change under a watched path is its version only', () => {
    expect(hit('/m/v2/server.mjs')).toEqual(['reviews-v2']);
    expect(hit('/m/v2/deep/er/x.mjs')).toEqual(['reviews-v2']);
    expect(hit('/m/app/server.mjs')).toEqual(['reviews-v1']);
    expect(hit('/m/shared/lib.mjs')).toEqual(['reviews-v2']);
    expect(hit('/m/shared/other.mjs')).toEqual([]);
    expect(hit('/m/v2x/server.mjs')).toEqual([]);
    expect(hit('/elsewhere/v2/server.mjs')).toEqual([]);
  });

  it('ignore globs: relative to the watched path, at any depth, or to the mesh directory', () => {
    expect(hit('/m/v2/README.md')).toEqual([]);
    expect(hit('/m/v2/docs/notes.md')).toEqual([]);
    expect(hit('/m/v2/a/b.test.mjs')).toEqual([]);
    expect(hit('/m/v2/fixtures/data.json')).toEqual([]);
    expect(hit('/m/v2/b.mjs')).toEqual(['reviews-v2']);
  });

  it('dot-files, dot-folders (.git, .mesh) and node_modules are never a change', () => {
    expect(hit('/m/v2/.server.mjs.swp')).toEqual([]);
    expect(hit('/m/v2/.git/index')).toEqual([]);
    expect(hit('/m/app/node_modules/x/index.js')).toEqual([]);
  });
});
