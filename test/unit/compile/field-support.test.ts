// What the compiler applies (declared beside its code, gathered in APPLIED_FIELDS) and what
// validation warns is accepted but not applied (src/config/not-applied.ts) cannot drift: every
// field the Istio schemas accept is exactly one of applied, not applied (a warning), nothing to
// apply on a laptop, or rejected by validation.
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { APPLIED_FIELDS } from '../../../src/compile/index.ts';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import type { KindName } from '../../../src/config/kinds.ts';
import { KINDS } from '../../../src/config/kinds.ts';
import { fieldMatches, NOT_APPLIED, NOTHING_TO_APPLY, type FieldPatterns } from '../../../src/config/not-applied.ts';
import { MESH } from '../config/fixtures.ts';

/** What validation reports as an error ("not supported yet", or rejected as Istio rejects it). */
const REJECTED: FieldPatterns = {
  VirtualService: ['spec.http.*.delegate', 'spec.http.*.fault.delay.exponentialDelay', 'spec.http.*.fault.abort.http2Error'],
  Gateway: ['spec.servers.*.port.targetPort'],
  // Resolution DYNAMIC_DNS and unix socket addresses are errors; the value is checked, the field applied.
};

const ISTIO_KINDS = ['VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'WorkloadEntry'] as const satisfies readonly KindName[];

interface Def {
  type: string;
  innerType?: z.core.$ZodType;
  shape?: Record<string, z.core.$ZodType>;
  element?: z.core.$ZodType;
  valueType?: z.core.$ZodType;
}

/** Every field path below `spec` a schema accepts, down to its leaves; `*` for a list index or a map key. */
function fieldPaths(schema: z.core.$ZodType, path: string[] = [], out: string[][] = []): string[][] {
  const def = schema._zod.def as unknown as Def;
  if (def.innerType) return fieldPaths(def.innerType, path, out);
  if (def.type === 'object' && def.shape && Object.keys(def.shape).length > 0) {
    for (const key in def.shape) fieldPaths(def.shape[key]!, [...path, key], out);
  } else if (def.type === 'array' && def.element) fieldPaths(def.element, [...path, '*'], out);
  else if (def.type === 'record' && def.valueType) fieldPaths(def.valueType, [...path, '*'], out);
  else out.push(path);
  return out;
}

function specPaths(kind: (typeof ISTIO_KINDS)[number]): string[][] {
  const spec = (KINDS[kind].schema._zod.def as unknown as Def).shape!['spec']!;
  return fieldPaths(spec, ['spec']);
}

/** The patterns (of one kind) that match the path or a field above it. */
function covering(patterns: FieldPatterns | readonly FieldPatterns[], kind: KindName, path: string[]): string[] {
  const lists = (Array.isArray(patterns) ? patterns : [patterns]) as FieldPatterns[];
  return lists
    .flatMap((p) => p[kind] ?? [])
    .filter((pattern) => path.some((_, i) => fieldMatches(pattern, path.slice(0, i + 1))));
}

describe('fields applied by the compiler and fields accepted but not applied', () => {
  const notApplied: FieldPatterns = Object.fromEntries(ISTIO_KINDS.map((k) => [k, NOT_APPLIED.filter((e) => e.kind === k).map((e) => e.field)]));

  for (const kind of ISTIO_KINDS) {
    it(`puts every ${kind} field in exactly one class`, () => {
      const problems: string[] = [];
      for (const path of specPaths(kind)) {
        const classes = {
          applied: covering(APPLIED_FIELDS, kind, path),
          'not applied': covering(notApplied, kind, path),
          'nothing to apply': covering(NOTHING_TO_APPLY, kind, path),
          rejected: covering(REJECTED, kind, path),
        };
        const found = Object.entries(classes).filter(([, by]) => by.length > 0);
        if (found.length !== 1) {
          problems.push(`${path.join('.')}: ${found.length === 0 ? 'in no class' : found.map(([c, by]) => `${c} (${by.join(', ')})`).join(' and ')}`);
        }
      }
      expect(problems).toEqual([]);
    });
  }

  it('names only fields the schemas have', () => {
    const unused: string[] = [];
    for (const kind of ISTIO_KINDS) {
      const paths = specPaths(kind);
      const patterns = [...APPLIED_FIELDS, NOTHING_TO_APPLY, REJECTED, notApplied].flatMap((p) => p[kind] ?? []);
      for (const pattern of patterns) {
        if (!paths.some((path) => path.some((_, i) => fieldMatches(pattern, path.slice(0, i + 1))))) unused.push(`${kind} ${pattern}`);
      }
    }
    expect(unused).toEqual([]);
  });

  it('does not warn about the fields the compiler applies: warmupDurationSecs, h2UpgradePolicy, grpcStatus', () => {
    const { diagnostics } = loadMeshFromSources([
      { path: 'mesh.yaml', text: MESH },
      {
        path: 'dr.yaml',
        text: `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: reviews}
spec:
  host: reviews
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 30s}
    connectionPool: {http: {h2UpgradePolicy: UPGRADE}}
`,
      },
      {
        path: 'vs.yaml',
        text: `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - fault:
      abort: {grpcStatus: UNAVAILABLE, percentage: {value: 10}}
    route:
    - destination: {host: reviews}
`,
      },
    ]);
    expect(diagnostics).toEqual([]);
  });
});
