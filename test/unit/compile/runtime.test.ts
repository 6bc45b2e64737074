// The runtime layer (compile/runtime.ts): nothing logged and 1% traced while nobody watches,
// everything while someone does; the Mesh's sampling wins in both; one list shared by every proxy.
import { describe, expect, it } from 'vitest';
import { compileMesh } from '../../../src/compile/index.ts';
import { composeAddressing } from '../../../src/compile/addressing.ts';
import { runtimeResources, withRuntime } from '../../../src/compile/runtime.ts';
import { loadMesh } from '../../../src/config/index.ts';

const layer = (state: Parameters<typeof runtimeResources>[0]) => runtimeResources(state)[0]!.value.layer as Record<string, unknown>;

describe('the runtime layer', () => {
  it('idle: no access log, 1% traced; watched: every request', () => {
    expect(layer({ watched: false })).toEqual({ 'localmesh.tap': '0', 'tracing.random_sampling': { numerator: 100, denominator: 'TEN_THOUSAND' } });
    expect(layer({ watched: true })).toEqual({ 'localmesh.tap': '100', 'tracing.random_sampling': { numerator: 10000, denominator: 'TEN_THOUSAND' } });
  });

  it("the Mesh's sampling is the tracing share in both states, to 0.01%", () => {
    expect(layer({ watched: false, sampling: 50 })['tracing.random_sampling']).toEqual({ numerator: 5000, denominator: 'TEN_THOUSAND' });
    expect(layer({ watched: true, sampling: 0.25 })['tracing.random_sampling']).toEqual({ numerator: 25, denominator: 'TEN_THOUSAND' });
    expect(layer({ watched: true, sampling: 0 })['localmesh.tap']).toBe('100');
  });

  it('every proxy of a compile has the same idle list; withRuntime swaps it for all, and keeps snapshots that have it', async () => {
    const { model } = await loadMesh(new URL('../../../examples/shop/', import.meta.url).pathname);
    const { snapshots } = compileMesh(model!, composeAddressing());
    expect(new Set(snapshots.map((s) => s.runtime))).toEqual(new Set([runtimeResources({ watched: false })]));
    const watched = withRuntime(snapshots, { watched: true });
    expect(new Set(watched.map((s) => s.runtime))).toEqual(new Set([runtimeResources({ watched: true })]));
    expect(withRuntime(watched, { watched: true }).every((s, i) => s === watched[i])).toBe(true);
  });
});
