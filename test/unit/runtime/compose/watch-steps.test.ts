// What `mesh up --watch` asks Compose to do per action, as Compose's develop.watch would.
import { describe, expect, it } from 'vitest';
import { watchSteps } from '../../../../src/runtime/compose/watch-steps.ts';
import { watchRules } from '../../../../src/runtime/watch-rules.ts';
import { load } from '../../config/fixtures.ts';

const mesh = (v1: string, watch: string) => `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: {name: shop}
spec:
  services:
    reviews:
      ports: [{port: 9080}]
      versions:
        v1: {${v1}, replicas: 2, watch: ${watch}}
`;

function steps(v1: string, watch: string, files: string[]) {
  const model = load({ 'mesh.yaml': mesh(v1, watch) }).model!;
  const [rule] = watchRules(model, '/m');
  return watchSteps(rule!, model.services[0]!.versions[0]!, files);
}

const BUILT = 'build: ./reviews';
const NODE = 'command: [node, app/server.mjs]';

describe('Compose steps of a watched change', () => {
  it('restart restarts the app containers of every replica, not their sidecars', () => {
    expect(steps(NODE, '{paths: [app]}', ['/m/app/server.mjs']).steps).toEqual([['restart', 'reviews-v1', 'reviews-v1-r2']]);
  });

  it('rebuild builds the image and recreates that service only; without build: it is a sentence', () => {
    expect(steps(BUILT, '{paths: [reviews], action: rebuild}', ['/m/reviews/main.go']).steps).toEqual([
      ['build', 'reviews-v1', 'reviews-v1-r2'],
      ['up', '-d', '--no-deps', 'reviews-v1', 'reviews-v1-r2'],
    ]);
    expect(() => steps(NODE, '{paths: [app], action: rebuild}', [])).toThrow(/has no build: to rebuild; use action: restart \(its folder is mounted\)/);
  });

  it('sync copies each changed file below target into each replica; sync+restart restarts after', () => {
    const files = ['/m/reviews/src/a.js', '/m/reviews/b.js'];
    const copies = [
      ['cp', '/m/reviews/src/a.js', 'reviews-v1:/app/src/a.js'],
      ['cp', '/m/reviews/src/a.js', 'reviews-v1-r2:/app/src/a.js'],
      ['cp', '/m/reviews/b.js', 'reviews-v1:/app/b.js'],
      ['cp', '/m/reviews/b.js', 'reviews-v1-r2:/app/b.js'],
    ];
    expect(steps(BUILT, '{paths: [reviews], action: sync, target: /app}', files).steps).toEqual(copies);
    expect(steps(BUILT, '{paths: [reviews], action: sync+restart, target: /app}', files).steps).toEqual([...copies, ['restart', 'reviews-v1', 'reviews-v1-r2']]);
    expect(() => steps(BUILT, '{paths: [reviews], action: sync}', files)).toThrow(/needs target:/);
  });

  it('a mounted Node app has nothing to copy: sync does nothing (and says why), sync+restart restarts', () => {
    const sync = steps(NODE, '{paths: [app], action: sync}', ['/m/app/server.mjs']);
    expect(sync.steps).toEqual([]);
    expect(sync.note).toMatch(/mounted from the host: nothing to copy/);
    expect(steps(NODE, '{paths: [app], action: sync+restart}', ['/m/app/server.mjs']).steps).toEqual([['restart', 'reviews-v1', 'reviews-v1-r2']]);
  });
});
