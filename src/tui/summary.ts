// The dashboard as plain text, for a stdout that is not a terminal (`mesh dashboard | less`, CI):
// what the control plane serves, each proxy's process and sync state, the routes with their
// weights and observed split, and the traffic. Pure: the state in, lines out.
import { ms, percent, rate, table } from './format.ts';
import type { DashboardState } from './state.ts';
import { routeRows, serviceRows, trafficRows } from './view.ts';

export function summary(state: DashboardState): string {
  const s = state.status;
  const out: string[] = [];
  out.push(s?.version ? `Serving version ${s.version} of ${s.dir} (control plane ${state.api}).` : `Nothing served yet (control plane ${state.api}).`);
  if (s && !s.valid) {
    const d = s.diagnostics.find((x) => x.severity === 'error');
    out.push(`The files as they are now are invalid and were not pushed${d ? `: ${d.file}:${d.line}:${d.col}: ${d.message}` : ''}.`);
  }
  if (state.problem) out.push(state.problem);
  out.push('', table(['PROXY', 'PROCESS', 'SYNC'], serviceRows(state).map((r) => [r.id, r.process ?? '-', r.sync + (r.nack ? `: ${r.nack}` : '')])));
  const routes = routeRows(state);
  if (routes.length) {
    const rows = routes.flatMap((r) =>
      r.route.destinations.map((d, i) => [i === 0 ? r.route.name : '', i === 0 ? r.route.match : '', d.label, `${r.weights[i]}%`, percent(r.observed[i]!), i === 0 ? (r.route.faultText ?? '') : '']),
    );
    out.push('', table(['ROUTE', 'MATCH', 'DESTINATION', 'WEIGHT', 'OBSERVED', 'FAULT'], rows));
  }
  const traffic = trafficRows(state);
  out.push('');
  if (traffic.length) {
    out.push(table(['SERVICE', 'SUBSET', 'RPS', 'ERRORS', 'P50', 'P99'], traffic.map((t) => [t.service, t.subset || '(all)', rate(t.rps), percent(t.errorRate), ms(t.p50Ms), ms(t.p99Ms)])));
  } else {
    out.push(`No requests in the last ${Math.round((state.traffic?.windowMs ?? 0) / 1000)} s.`);
  }
  return out.join('\n').split('\n').map((l) => l.trimEnd()).join('\n').trimEnd();
}
