// Every proxy's config of a mesh using most features is accepted by the real `envoy --mode validate`.
import { describe, it } from 'vitest';
import { compileMesh } from '../../../src/compile/index.ts';
import { staticBootstrap } from '../../../src/compile/static-config.ts';
import { validateConfig } from '../../helpers/envoy.ts';
import { addressingFor, ALL_FEATURES, model } from './compile-helpers.ts';

describe('real Envoy', () => {
  for (const kind of ['compose', 'loopback'] as const) {
    it(`accepts every proxy's config (${kind} addressing, via envoy --mode validate)`, async () => {
      const m = model(...ALL_FEATURES);
      const compiled = compileMesh(m, addressingFor(m, kind));
      await Promise.all(compiled.snapshots.map((s) => validateConfig(staticBootstrap(s, { adminPort: 0 }))));
    }, 60_000);
  }
});
