// Istio's bookinfo from its own Kubernetes manifests, unmodified (bookinfo.yaml, the gateway,
// destination-rule-all.yaml, virtual-service-reviews-90-10.yaml), through real Envoys: productpage's
// calls to reviews split 90/10 between v1 and v2, and the gateway serves /productpage. Test
// servers stand in for bookinfo's images, one per Deployment.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useMesh } from '../helpers/mesh.ts';
import { binomialCheck, send, sendMany, type Request } from '../helpers/traffic.ts';

const DIR = 'test/fixtures/istio/bookinfo';
const FILES = ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml'];

const mesh = useMesh(FILES.map((f) => readFileSync(`${DIR}/${f}`, 'utf8')), { sidecars: ['productpage-v1'] });

/** A request from productpage's app to reviews, sent to its sidecar's outbound listener. */
const toReviews = (): Request => ({ port: mesh.running.addressing.outboundPort('productpage-v1'), path: '/reviews/0', headers: { host: 'reviews:9080' } });

describe("bookinfo's Deployments behind real Envoys", () => {
  it("splits productpage's calls to reviews 90/10 between v1 and v2, none to v3", async () => {
    const tally = await sendMany(1000, toReviews());
    expect(tally.byStatus, tally.summary).toEqual({ 200: 1000 });
    expect(tally.byVersion.v3 ?? 0, tally.summary).toBe(0);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 1000, 0.1);
    expect(check.ok, `v2 share: ${check.message}; ${tally.summary}`).toBe(true);
  });

  it('serves /productpage through the gateway on its port 8080', async () => {
    const response = await send(mesh.at('bookinfo.example', '/productpage', {}, 8080));
    expect(response.status, response.body).toBe(200);
    expect(response.reply).toMatchObject({ service: 'productpage', version: 'v1', path: '/productpage' });
  });
});
