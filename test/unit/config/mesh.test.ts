// The Mesh document: services, versions, ports and names.
import { describe, expect, it } from 'vitest';
import { diagnostics, load, MESH } from './fixtures.ts';

describe('Mesh', () => {
  it('builds services sorted by fqdn with versions sorted by name and default labels', () => {
    const mesh = MESH.replace('v2: {image: reviews:2}', 'v0: {image: reviews:0, labels: {track: canary}}').replace(
      'ports: [{port: 9080}]\n',
      'ports: [{port: 9080}]\n      labels: {team: books}\n',
    );
    const { model } = load({ 'mesh.yaml': mesh });
    expect(model!.services.map((s) => s.fqdn)).toEqual(['ratings.default.svc.cluster.local', 'reviews.default.svc.cluster.local']);
    expect(model!.services[1]!.versions.map((v) => ({ name: v.name, proxy: v.proxy, labels: v.labels, replicas: v.replicas }))).toEqual([
      { name: 'v0', proxy: 'reviews-v0', labels: { app: 'reviews', version: 'v0', team: 'books', track: 'canary' }, replicas: 1 },
      { name: 'v1', proxy: 'reviews-v1', labels: { app: 'reviews', version: 'v1', team: 'books' }, replicas: 1 },
    ]);
    expect(model!.services[1]!.source).toEqual({ file: 'mesh.yaml', line: 6, col: 5 });
    expect(model).toMatchObject({ name: 'shop', namespace: 'default', settings: {}, virtualServices: [], destinationRules: [], gateways: [] });
  });

  it('puts services in the Mesh namespace', () => {
    const { model } = load({ 'mesh.yaml': MESH.replace('{name: shop}', '{name: shop, namespace: store}') });
    expect(model!.services[0]!.fqdn).toBe('ratings.store.svc.cluster.local');
  });

  it('requires at least one version per service', () => {
    const mesh = MESH.replace('      versions:\n        v1: {image: ratings:1}\n', '      versions: {}\n');
    expect(diagnostics({ 'mesh.yaml': mesh })).toEqual(['mesh.yaml:13:7 error: service ratings has no versions']);
  });

  it('requires an image, a build or a command for each version', () => {
    const mesh = MESH.replace('v1: {image: ratings:1}', 'v1: {replicas: 2}');
    expect(diagnostics({ 'mesh.yaml': mesh })).toEqual([
      'mesh.yaml:14:9 error: version v1 of ratings has nothing to run: give it an image, a build or a command',
    ]);
  });

  it('rejects a port listed twice', () => {
    const mesh = MESH.replace('{port: 9090, protocol: grpc}', '{port: 9080, protocol: grpc}');
    expect(diagnostics({ 'mesh.yaml': mesh })).toEqual([
      'mesh.yaml:12:36 error: port 9080 is listed twice for service ratings (first at ports[0])',
    ]);
  });

  it('requires service names, version names and namespaces to be DNS labels', () => {
    const mesh = MESH.replace('    ratings:', '    Ratings_DB:').replace('{name: shop}', '{name: shop, namespace: My.NS}');
    expect(diagnostics({ 'mesh.yaml': mesh.replace('v2: {image', 'V2: {image') })).toEqual([
      "mesh.yaml:3:35 error: namespace 'My.NS' is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
      "mesh.yaml:10:9 error: version name of reviews 'V2' is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
      "mesh.yaml:11:5 error: service name 'Ratings_DB' is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
    ]);
  });
});
