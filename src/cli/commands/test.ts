import { loadMesh } from '../../config/index.ts';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../../config/diagnostics.ts';
import type { MeshModel } from '../../config/model.ts';
import { compileMesh } from '../../compile/index.ts';
import { composeAddressing, loopbackAddressing } from '../../compile/addressing.ts';
import type { Runtimes } from '../../runtime/contract.ts';
import { findTestFiles, readTestFiles } from '../../routetest/file.ts';
import { checkLive, type LiveCheck } from '../../routetest/live.ts';
import { describe, runTest, type TestResult } from '../../routetest/verdict.ts';
import { EXIT, printDiagnostics, table } from '../output.ts';

export const help = `Usage: mesh test [DIR] [FILES...] [--json] [--live]

Checks routing without running anything: every request of the route test files (the
*.test.yaml files in DIR, or FILES) is matched against the Envoy route configuration the mesh
compiles to for its source proxy (a sidecar's outbound routes, or the gateway's), with Envoy's
semantics, and each expectation (destination, weights, status, headers, rewrite, timeout,
retries, fault, mirror) is compared with what that proxy would do. Failures point at the
expectation's FILE:LINE:COL.

Options:
  --live      also send each request through the real proxies of the mesh running in DIR
              (process runtime: mesh up --runtime process DIR) and check that they agree
  --json      print the results as JSON
  -h, --help  show this help

Exit codes: 0 every test passes, 1 a test fails, 2 usage error, invalid mesh or test file.`;

interface Row {
  test: string;
  at: string;
  passed: boolean;
  outcome: string;
  failures: Array<{ at: string; expectation: string; message: string }>;
  live?: Array<{ proxy: string; statuses: number[]; versions: string[]; requests: number; disagreement?: string }>;
  /** What each source proxy does with the request (Envoy's decision, cluster names as Envoy has them). */
  decisions: Array<{ proxy: string; request: unknown; decision: unknown }>;
}

export async function run(dir: string, files: readonly string[], options: { json: boolean; live: boolean }, runtimes: Runtimes): Promise<number> {
  const mesh = await loadMesh(dir);
  if (!mesh.model || hasErrors(mesh.diagnostics)) {
    return invalid(options.json, `${dir}: the mesh is invalid, so there is nothing to test`, mesh.diagnostics);
  }
  const paths = files.length > 0 ? [...files] : await findTestFiles(dir);
  if (paths.length === 0) {
    console.error(`mesh test: no route test files in ${dir} (files named *.test.yaml); see mesh test --help.`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = await readTestFiles(paths);
  } catch (error) {
    console.error(`mesh test: cannot read ${(error as { path?: string }).path ?? paths.join(', ')}: ${(error as { code?: string }).code ?? (error as Error).message}.`);
    return EXIT.usage;
  }
  if (hasErrors(parsed.diagnostics)) return invalid(options.json, 'the route tests are invalid', parsed.diagnostics);
  if (parsed.tests.length === 0) {
    console.error(`mesh test: ${paths.join(', ')} ${paths.length === 1 ? 'holds' : 'hold'} no tests; a RouteTest lists them under spec.tests (see mesh test --help).`);
    return EXIT.usage;
  }

  let api: string | undefined;
  if (options.live) {
    const running = await runtimes.running(dir);
    if (!running) {
      console.error(`mesh test --live: ${await runtimes.noMeshRuns(dir, (d) => `mesh test ${d} --live`)}.`);
      return EXIT.usage;
    }
    if (running.runtime.name !== 'process') {
      console.error(`mesh test --live: the mesh in ${dir} runs on ${running.runtime.title}; --live sends requests through the sidecars of the process runtime only (mesh up --runtime process ${dir}).`);
      return EXIT.usage;
    }
    api = running.state.api;
  }
  const model: MeshModel = mesh.model;
  // The routes of the runtime that serves them: transparent capture (Compose, as in a cluster)
  // offline, and the process runtime's HTTP-proxy sidecars live.
  const compiled = compileMesh(model, api ? loopbackAddressing(model, 20_000) : composeAddressing());
  const results = parsed.tests.map((test) => runTest(model, compiled, test));
  const live = new Map<TestResult, LiveCheck[]>();
  if (api) {
    for (const result of results) live.set(result, await Promise.all(result.outcomes.map((o) => checkLive(api, model, o))));
  }
  const rows = results.map((r) => row(model, r, live.get(r)));
  const failed = rows.filter((r) => !r.passed).length;
  if (options.json) {
    console.log(JSON.stringify({ passed: rows.length - failed, failed, tests: rows }, null, 2));
  } else {
    printDiagnostics(parsed.diagnostics);
    console.log(format(rows, api !== undefined));
  }
  return failed > 0 ? EXIT.invalid : EXIT.ok;
}

function invalid(json: boolean, what: string, diagnostics: readonly Diagnostic[]): number {
  const sorted = sortDiagnostics(diagnostics);
  if (json) console.log(JSON.stringify({ valid: false, diagnostics: sorted }, null, 2));
  else {
    printDiagnostics(sorted);
    const errors = sorted.filter((d) => d.severity === 'error').length;
    console.error(`mesh test: ${what} (${errors} error${errors === 1 ? '' : 's'}).`);
  }
  return EXIT.usage;
}

const where = (ref: { file: string; line: number; col: number }) => `${ref.file}:${ref.line}:${ref.col}`;

function row(model: MeshModel, result: TestResult, live: LiveCheck[] | undefined): Row {
  const outcome = [...new Set(result.outcomes.map((o) => describe(model, o.decision)))].join(' | ');
  const failures: Row['failures'] = result.failures.map((f) => ({ at: where(f.at), expectation: f.expectation, message: f.message }));
  const checks = live?.map((c) => ({
    proxy: c.proxy,
    statuses: [...new Set(c.observed.map((o) => o.status))],
    versions: [...new Set(c.observed.flatMap((o) => (o.service ? [`${o.service} ${o.version ?? ''}`.trim()] : [])))],
    requests: c.observed.length,
    ...(c.disagreement ? { disagreement: c.disagreement } : {}),
  }));
  for (const c of checks ?? []) {
    if (c.disagreement) failures.push({ at: where(result.test.at), expectation: 'live', message: `${c.proxy} disagrees with the offline verdict: ${c.disagreement}` });
  }
  const decisions = result.outcomes.map((o) => ({ proxy: o.probe.proxy, request: o.probe.request, decision: o.decision }));
  return { test: result.test.name, at: where(result.test.at), passed: failures.length === 0, outcome, failures, ...(checks ? { live: checks } : {}), decisions };
}

function format(rows: readonly Row[], live: boolean): string {
  const lines = rows.flatMap((r) => {
    const head = [r.passed ? 'PASS' : 'FAIL', r.test, r.passed ? r.at : r.failures[0]!.at, r.passed ? r.outcome : r.failures[0]!.message];
    return [head, ...r.failures.slice(1).map((f) => ['', '', f.at, f.message])];
  });
  const failed = rows.filter((r) => !r.passed).length;
  const summary = `${rows.length} test${rows.length === 1 ? '' : 's'}: ${rows.length - failed} passed, ${failed} failed${live ? ' (offline and live through the proxies)' : ''}`;
  return `${table(['RESULT', 'TEST', 'WHERE', 'WHAT THE PROXY DOES'], lines)}\n\n${summary}`;
}
