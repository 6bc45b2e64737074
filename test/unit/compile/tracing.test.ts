// Tracing on every HTTP connection manager: Envoy's OpenTelemetry tracer exporting to the control
// plane, every request by default, `settings.tracing.sampling` percent when the Mesh says so.
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { compileMesh } from '../../../src/compile/index.ts';
import { staticBootstrap } from '../../../src/compile/static-config.ts';
import type { ProxySnapshot } from '../../../src/envoy/snapshot.ts';
import { addressingFor, ALL_FEATURES, compile, MESH, proxy } from './compile-helpers.ts';

/** Every HTTP connection manager's `tracing` of a snapshot's listeners. */
function tracings(snapshot: ProxySnapshot): unknown[] {
  const found: unknown[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(walk);
    if (v === null || typeof v !== 'object') return;
    const o = v as Record<string, unknown>;
    if (String(o['@type'] ?? '').endsWith('HttpConnectionManager')) found.push(o.tracing);
    Object.values(o).forEach(walk);
  };
  walk(snapshot.listeners);
  return found;
}

const OTEL = {
  name: 'envoy.tracers.opentelemetry',
  typed_config: {
    '@type': 'type.googleapis.com/envoy.config.trace.v3.OpenTelemetryConfig',
    grpc_service: { envoy_grpc: { cluster_name: 'xds_cluster' } },
    service_name: 'localmesh',
  },
};

function withSampling(percent: number) {
  const mesh = MESH.replace('spec:\n  services:', `spec:\n  settings: {tracing: {sampling: ${percent}}}\n  services:`);
  const { model, diagnostics } = loadMeshFromSources([mesh, ...ALL_FEATURES].map((text, i) => ({ path: `f${i}.yaml`, text })));
  expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return compileMesh(model!, addressingFor(model!, 'compose'));
}

describe('tracing', () => {
  it('every HTTP connection manager of sidecars and gateway traces every request to the control plane', () => {
    const compiled = compile(ALL_FEATURES, 'loopback');
    for (const id of ['productpage-v1', 'mesh-gateway']) {
      const found = tracings(proxy(compiled, id));
      expect(found.length, id).toBeGreaterThan(0);
      for (const t of found) expect(t).toEqual({ provider: OTEL });
    }
  });

  it('settings.tracing.sampling: 10 traces one request in ten on every proxy, listeners shared as before', () => {
    const compiled = withSampling(10);
    for (const s of compiled.snapshots) for (const t of tracings(s)) expect(t).toEqual({ provider: OTEL, random_sampling: { value: 10 } });
    const a = proxy(compiled, 'reviews-v1').listeners.find((l) => l.name === 'outbound');
    expect(a).toBeDefined();
    expect(proxy(compiled, 'reviews-v2').listeners.find((l) => l.name === 'outbound')).toBe(a);
    expect(tracings(proxy(withSampling(100), 'reviews-v1'))[0]).toEqual({ provider: OTEL });
  });

  it('a sampling outside 0–100 is an error in the Mesh document', () => {
    const mesh = MESH.replace('spec:\n  services:', 'spec:\n  settings: {tracing: {sampling: 150}}\n  services:');
    const { diagnostics } = loadMeshFromSources([{ path: 'mesh.yaml', text: mesh }]);
    expect(diagnostics.filter((d) => d.severity === 'error').map((d) => d.message).join('\n')).toMatch(/100/);
  });

  it('a static config (mesh generate) has no tracer: there is no control plane to send spans to', () => {
    const config = staticBootstrap(proxy(compile(ALL_FEATURES, 'loopback'), 'productpage-v1'), { adminPort: 0 });
    expect(JSON.stringify(config)).not.toContain('envoy.tracers.opentelemetry');
    expect(JSON.stringify(config)).toContain('http_connection_manager');
  });
});
