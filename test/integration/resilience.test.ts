// Fault injection, timeouts and retries of VirtualService HTTP routes, through the ingress
// gateway. One gateway Envoy for the file; each feature has its own host.
import { describe, expect, it } from 'vitest';
import { EDGE_GATEWAY, gatewayRoute, meshYaml, useMesh } from '../helpers/mesh.ts';
import { binomialCheck, send, sendMany } from '../helpers/traffic.ts';

const mesh = useMesh([meshYaml({ ratings: 'v1' }), EDGE_GATEWAY]);
const ratings = () => mesh.running.upstream('ratings', 'v1');

describe('fault injection', () => {
  mesh.add(gatewayRoute('ratings', 'delay.test', `fault: { delay: { fixedDelay: 200ms, percentage: { value: 100 } } }`));
  mesh.add(gatewayRoute('ratings', 'abort.test', `fault: { abort: { httpStatus: 418, percentage: { value: 100 } } }`));
  // The deprecated integer `percent`, as in Istio's samples.
  mesh.add(gatewayRoute('ratings', 'abort-half.test', `fault: { abort: { httpStatus: 503, percent: 50 } }`));
  mesh.add(gatewayRoute('ratings', 'delay-percent.test', `fault: { delay: { fixedDelay: 200ms, percent: 100 } }`));

  it('delays every request by 200 ms', async () => {
    const tally = await sendMany(10, mesh.at('delay.test'), 5);
    expect(tally.byStatus, tally.summary).toEqual({ 200: 10 });
    expect(tally.latencies[0], `fastest request should take >= 195 ms; ${tally.summary}`).toBeGreaterThanOrEqual(195);
    expect(tally.latencies.at(-1), `slowest request should take < 600 ms; ${tally.summary}`).toBeLessThan(600);
  });

  it('delays with the deprecated percent: 100 as well', async () => {
    const response = await send(mesh.at('delay-percent.test'));
    expect(response.status, response.body).toBe(200);
    expect(response.ms, 'time to the response').toBeGreaterThanOrEqual(195);
  });

  it('aborts every request with 418 before it reaches the app', async () => {
    const tally = await sendMany(20, mesh.at('abort.test'));
    expect(tally.byStatus, tally.summary).toEqual({ 418: 20 });
    expect(ratings().received.length, 'requests that reached ratings').toBe(0);
  });

  it('aborts about half of the requests with percent: 50', async () => {
    const tally = await sendMany(400, mesh.at('abort-half.test'));
    expect((tally.byStatus[503] ?? 0) + (tally.byStatus[200] ?? 0), tally.summary).toBe(400);
    const check = binomialCheck(tally.byStatus[503] ?? 0, 400, 0.5);
    expect(check.ok, `aborted share: ${check.message}; ${tally.summary}`).toBe(true);
    expect(ratings().received.length, 'requests that reached ratings').toBe(tally.byStatus[200]);
  });
});

describe('timeout', () => {
  mesh.add(gatewayRoute('ratings', 'timeout.test', `timeout: 0.5s`));

  it('answers 504 after the route timeout when the app hangs', async () => {
    ratings().behave({ hang: true });
    const response = await send(mesh.at('timeout.test'));
    expect(response.status, response.body).toBe(504);
    expect(response.ms, 'time to the 504').toBeGreaterThanOrEqual(450);
    expect(response.ms, 'time to the 504').toBeLessThan(2000);
  });
});

describe('retries', () => {
  mesh.add(gatewayRoute('ratings', 'retries.test', `retries: { attempts: 3, perTryTimeout: 1s, retryOn: 5xx }`));
  mesh.add(gatewayRoute('ratings', 'no-retries.test', `retries: { attempts: 0 }`));
  mesh.add(gatewayRoute('ratings', 'default-retries.test'));

  it('turns an app that fails its first 2 requests into a success', async () => {
    ratings().behave({ failFirst: 2, failStatus: 500 });
    const response = await send(mesh.at('retries.test'));
    expect(response.status, response.body).toBe(200);
    expect(ratings().received.length, 'attempts that reached ratings').toBe(3);
  });

  it("retries 503 twice without a retries field (Istio's default policy), but not 500", async () => {
    ratings().behave({ failFirst: 2 });
    const retried = await send(mesh.at('default-retries.test'));
    expect(retried.status, retried.body).toBe(200);
    expect(ratings().received.length, 'attempts that reached ratings').toBe(3);
    ratings().behave({ failFirst: 1, failStatus: 500 });
    const notRetried = await send(mesh.at('default-retries.test'));
    expect(notRetried.status, notRetried.body).toBe(500);
    expect(ratings().received.length, 'attempts that reached ratings').toBe(1);
  });

  it('passes the failure through when retries are off', async () => {
    ratings().behave({ failFirst: 1 });
    const response = await send(mesh.at('no-retries.test'));
    expect(response.status, response.body).toBe(503);
    expect(ratings().received.length, 'attempts that reached ratings').toBe(1);
  });
});
