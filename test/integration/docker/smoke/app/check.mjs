// Runs inside the app's network namespace (`exec app node check.mjs ...`).
//   node check.mjs outbound   one call to http://other:9080/ by plain name, as any app would;
//                             passes if the proxy's outbound counters moved by exactly one
//   node check.mjs stat NAME  prints one counter of the proxy (its admin is on 127.0.0.1:15000)
const stat = async (name) => {
  const body = await (await fetch(`http://127.0.0.1:15000/stats?filter=^${name.replace(/[|.]/g, '\\$&')}$`)).text();
  return Number(body.split(': ')[1] ?? NaN);
};
const OUTBOUND = ['cluster.outbound|9080||other.upstream_rq_total', 'http.outbound_0.0.0.0_9080.downstream_rq_total'];

if (process.argv[2] === 'stat') {
  console.log(await stat(process.argv[3]));
} else if (process.argv[2] === 'outbound') {
  const before = await Promise.all(OUTBOUND.map(stat));
  let res;
  for (let i = 0; ; i++) {
    try { res = await fetch('http://other:9080/'); break; } catch (e) { if (i >= 50) throw e; await new Promise((r) => setTimeout(r, 200)); }
  }
  const body = (await res.text()).trim();
  const after = await Promise.all(OUTBOUND.map(stat));
  const moved = OUTBOUND.map((name, i) => `${name} ${before[i]} -> ${after[i]}`);
  const ok = res.status === 200 && res.headers.get('server') === 'envoy' && after.every((n, i) => n === before[i] + 1);
  console.log(`${ok ? 'ok' : 'FAILED'}: GET http://other:9080/ -> ${res.status}, server: ${res.headers.get('server')}, "${body}"; ${moved.join(', ')}`);
  process.exitCode = ok ? 0 : 1;
} else {
  console.error('usage: node check.mjs outbound | stat NAME');
  process.exitCode = 2;
}
