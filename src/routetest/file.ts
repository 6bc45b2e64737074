// Route test files: `*.test.yaml` documents of kind RouteTest, each a list of requests and what
// the mesh must do with them. Read with source positions, so a failing expectation and a
// mistake in the file point at FILE:LINE:COL. The mesh loader leaves these files out
// (config/names.ts, ROUTE_TEST_FILE).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { Diagnostic } from '../config/diagnostics.ts';
import { parseSources, type SourceDocument } from '../config/load.ts';
import type { SourceRef } from '../config/model.ts';
import { ROUTE_TEST_FILE } from '../config/names.ts';
import { documentAt, keyAt, valueAt } from '../config/position.ts';
import { schemaDiagnostics } from '../config/schema-errors.ts';
import { Duration, Metadata, Percent, StringMap } from '../config/schema/common.ts';
import { Destination as IstioDestination, Headers, HTTPFaultInjection } from '../config/schema/istio.ts';
import { MESH_API_VERSION } from '../config/schema/mesh.ts';
import { parseDuration } from '../config/duration.ts';

export const ROUTE_TEST_KIND = 'RouteTest';

/** `HOST[/SUBSET[/PORT]]` or Istio's `{host, subset, port: {number}}`. */
const Destination = z.union([z.string().min(1), IstioDestination]);

const Request = z.strictObject({
  /** `SERVICE`, `SERVICE/VERSION` (the sidecar the request leaves from) or `gateway`. */
  source: z.string().min(1),
  host: z.string().min(1),
  /** Service port (sidecar) or Gateway server port (gateway). */
  port: z.number().int().min(1).max(65535).optional(),
  path: z.string().startsWith('/').optional(),
  method: z.string().min(1).optional(),
  headers: StringMap.optional(),
  scheme: z.enum(['http', 'https']).optional(),
});

const Expect = z.strictObject({
  destination: Destination.optional(),
  weights: z.record(z.string(), z.number().min(0).max(100)).optional(),
  status: z.number().int().min(100).max(599).optional(),
  /** The name of the route that takes the request (the VirtualService http route's `name`). */
  route: z.string().optional(),
  /** The Location of a redirect. */
  redirect: z.string().optional(),
  /** The body of a direct response. */
  body: z.string().optional(),
  headers: Headers.optional(),
  /** What the upstream receives: its path and its Host. */
  rewrite: z.strictObject({ uri: z.string().optional(), authority: z.string().optional() }).optional(),
  /** `none` (or 0s) for no timeout. */
  timeout: z.union([Duration, z.literal('none')]).optional(),
  /** `none`, or Istio's HTTPRetry fields to compare. */
  retries: z
    .union([
      z.literal('none'),
      z.strictObject({ attempts: z.number().int().min(0).optional(), perTryTimeout: Duration.optional(), retryOn: z.string().optional() }),
    ])
    .optional(),
  /** `none`, or Istio's HTTPFaultInjection. */
  fault: z.union([z.literal('none'), HTTPFaultInjection]).optional(),
  /** `none`, or a destination a copy of the request goes to. */
  mirror: z.union([z.literal('none'), Destination]).optional(),
  mirrorPercentage: Percent.optional(),
});

const TestCase = z.strictObject({ name: z.string().optional(), request: Request, expect: Expect });

export const RouteTestSchema = z.looseObject({
  apiVersion: z.literal(MESH_API_VERSION),
  kind: z.literal(ROUTE_TEST_KIND),
  metadata: Metadata.optional(),
  spec: z.strictObject({ tests: z.array(TestCase).min(1) }),
});

export type TestRequest = z.infer<typeof Request>;
export type Expectations = z.infer<typeof Expect>;
export type DestinationSpec = z.infer<typeof Destination>;

export interface RouteTestCase {
  /** The test's name, else `METHOD HOST PATH from SOURCE`. */
  name: string;
  request: TestRequest;
  expect: Expectations;
  /** Where the test starts (its `request:` key's list entry). */
  at: SourceRef;
  /** Where an expectation is written (its value), by expectation key. */
  expectationAt(key: keyof Expectations): SourceRef;
  /** Where a request field is written. */
  requestAt(key: keyof TestRequest): SourceRef;
}

export interface ParsedTests {
  tests: RouteTestCase[];
  diagnostics: Diagnostic[];
}

/** The `*.test.yaml` / `*.test.yml` files under `dir` (dot-directories and node_modules skipped), sorted. */
export async function findTestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && ROUTE_TEST_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !path.slice(dir.length).split(/[\\/]/).some((part) => part.startsWith('.') || part === 'node_modules'))
    .sort();
}

export async function readTestFiles(paths: readonly string[]): Promise<ParsedTests> {
  const files = await Promise.all(paths.map(async (path) => ({ path, text: await readFile(path, 'utf8') })));
  return parseTests(files);
}

/** Pure: the files' text → test cases, or diagnostics at FILE:LINE:COL. */
export function parseTests(files: ReadonlyArray<{ path: string; text: string }>): ParsedTests {
  const parsed = parseSources(files);
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  const tests: RouteTestCase[] = [];
  for (const source of parsed.documents) {
    const kind = (source.value as { kind?: unknown } | null)?.kind;
    if (kind !== ROUTE_TEST_KIND) {
      const at = kind === undefined ? documentAt(source) : valueAt(source, ['kind']);
      diagnostics.push({
        file: at.file, line: at.line, col: at.col, severity: 'error',
        message: `a route test file holds ${ROUTE_TEST_KIND} documents, not ${typeof kind === 'string' ? kind : 'a document without a kind'}`,
        hint: `start it with apiVersion: ${MESH_API_VERSION} and kind: ${ROUTE_TEST_KIND}; mesh resources go in files not named *.test.yaml`,
      });
      continue;
    }
    const result = RouteTestSchema.safeParse(source.value);
    if (!result.success) {
      diagnostics.push(...schemaDiagnostics(source, ROUTE_TEST_KIND, RouteTestSchema, result.error.issues));
      continue;
    }
    result.data.spec.tests.forEach((test, index) => {
      const problem = checkTest(source, index, test);
      if (problem) diagnostics.push(problem);
      else tests.push(testCase(source, index, test));
    });
  }
  diagnostics.push(...parsed.late.filter((d) => d.severity === 'error'));
  return { tests, diagnostics };
}

function testCase(source: SourceDocument, index: number, test: z.infer<typeof TestCase>): RouteTestCase {
  const base = ['spec', 'tests', index] as const;
  const r = test.request;
  return {
    name: test.name ?? `${r.method ?? 'GET'} ${r.host}${r.port ? `:${r.port}` : ''}${r.path ?? '/'} from ${r.source}`,
    request: r,
    expect: test.expect,
    at: valueAt(source, [...base]),
    expectationAt: (key) => valueAt(source, [...base, 'expect', key]),
    requestAt: (key) => valueAt(source, [...base, 'request', key]),
  };
}

/** What the schema cannot say: durations that are durations, an expectation at all. */
function checkTest(source: SourceDocument, index: number, test: z.infer<typeof TestCase>): Diagnostic | undefined {
  const base = ['spec', 'tests', index];
  const error = (ref: SourceRef, message: string, hint?: string): Diagnostic => ({
    file: ref.file, line: ref.line, col: ref.col, severity: 'error', message, ...(hint ? { hint } : {}),
  });
  if (Object.keys(test.expect).length === 0) {
    return error(keyAt(source, [...base, 'expect']), 'this test expects nothing', 'add destination, status, weights, headers, rewrite, timeout, retries, fault or mirror');
  }
  const durations: Array<[string[], string | undefined]> = [
    [['timeout'], test.expect.timeout === 'none' ? undefined : test.expect.timeout],
    [['retries', 'perTryTimeout'], typeof test.expect.retries === 'object' ? test.expect.retries.perTryTimeout : undefined],
    [['fault', 'delay', 'fixedDelay'], typeof test.expect.fault === 'object' ? test.expect.fault.delay?.fixedDelay : undefined],
  ];
  for (const [path, text] of durations) {
    if (text !== undefined && parseDuration(text) === undefined) {
      return error(valueAt(source, [...base, 'expect', ...path]), `'${text}' is not a duration`, 'write it as Istio does: 5s, 250ms, 1m');
    }
  }
  return undefined;
}
