// mesh tap's filters and lines, on entries as the control plane hands them out.
import { describe, expect, it } from 'vitest';
import { concerns, tapFilter, tapLine } from '../../../src/control/tap-filter.ts';
import type { TapEntry } from '../../../src/xds/access-log.ts';

const entry = (over: Partial<TapEntry>): TapEntry => ({
  at: Date.UTC(2026, 11, 1, 14, 0, 0, 123), proxy: 'mesh-gateway', listener: 'gateway_80', method: 'GET', authority: 'shop.local', path: '/cart',
  status: 200, flags: [], upstreamCluster: 'outbound|9080|v2|reviews.default.svc.cluster.local', durationMs: 1.5, requestId: 'r1', source: '127.0.0.1:5000', headers: {}, ...over,
});

describe('mesh tap', () => {
  it('SERVICE[/VERSION]: requests its sidecars served and those sent to its clusters', () => {
    expect(concerns(entry({}), 'reviews')).toBe(true);
    expect(concerns(entry({}), 'reviews', 'v2')).toBe(true);
    expect(concerns(entry({}), 'reviews', 'v1')).toBe(false);
    expect(concerns(entry({ proxy: 'reviews-v1', upstreamCluster: 'inbound|9080||' }), 'reviews', 'v1')).toBe(true);
    expect(concerns(entry({ proxy: 'ratings-v1', upstreamCluster: 'inbound|9080||' }), 'reviews')).toBe(false);
    expect(concerns(entry({ upstreamCluster: 'outbound|9080||reviewsx.default.svc.cluster.local' }), 'reviews')).toBe(false);
  });

  it('--path, --status (a code or a class) and --header', () => {
    const all = [entry({}), entry({ status: 503, flags: ['UF'] }), entry({ path: '/', headers: { 'end-user': 'jason' } }), entry({ status: 0 })];
    const pick = (options: Parameters<typeof tapFilter>[0]) => all.filter(tapFilter(options)).length;
    expect(pick({ path: '/cart' })).toBe(3);
    expect(pick({ status: '5xx' })).toBe(1);
    expect(pick({ status: '200' })).toBe(2);
    expect(pick({ status: '0' })).toBe(1);
    expect(pick({ header: ['End-User=jason'] })).toBe(1);
    expect(() => tapFilter({ status: 'bad' })).toThrow(/--status bad is not a response code/);
    expect(() => tapFilter({ header: ['novalue'] })).toThrow(/--header novalue is not NAME=VALUE/);
  });

  it('one line: time, proxy, listener, request, status with flags, duration, cluster', () => {
    expect(tapLine(entry({ status: 503, flags: ['UF', 'URX'] }))).toBe(
      '14:00:00.123 mesh-gateway gateway_80 GET shop.local/cart 503 UF,URX 1.5ms → outbound|9080|v2|reviews.default.svc.cluster.local',
    );
  });
});
