// Kubernetes workloads as a way to declare the mesh's services: a Service and the Deployments or
// StatefulSets its selector matches become a service and its versions, as Istio derives them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadMeshFromSources } from '../../../src/config/index.ts';
import { MESH } from './fixtures.ts';

function load(files: Record<string, string>) {
  return loadMeshFromSources(Object.entries(files).map(([path, text]) => ({ path, text })), 'dir/shop');
}

function lines(files: Record<string, string>, severity?: 'error' | 'warning'): string[] {
  return load(files)
    .diagnostics.filter((d) => !severity || d.severity === severity)
    .map((d) => `${d.file}:${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

const SERVICE = `apiVersion: v1
kind: Service
metadata:
  name: reviews
spec:
  selector:
    app: reviews
  ports:
  - name: http
    port: 9080
`;

function deployment(version: string | undefined, extra = '', name = `reviews-${version ?? 'x'}`): string {
  const labels = version === undefined ? 'app: reviews' : `app: reviews\n        version: ${version}`;
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector:
    matchLabels: {app: reviews}
  template:
    metadata:
      labels:
        ${labels}
    spec:
      containers:
      - name: reviews
        image: reviews:${version ?? 'latest'}
        ports:
        - containerPort: 9080
${extra}`;
}

describe('Kubernetes workloads', () => {
  it('a Service and the Deployments it selects are a service and its versions', () => {
    const { model, diagnostics } = load({ 'k8s.yaml': [SERVICE, deployment('v1'), deployment('v2', '        env:\n        - {name: LOG_DIR, value: /tmp/logs}\n')].join('---\n') });
    expect(diagnostics).toEqual([]);
    expect(model?.name).toBe('shop');
    const reviews = model!.services.find((s) => s.name === 'reviews')!;
    expect(reviews).toMatchObject({ fqdn: 'reviews.default.svc.cluster.local', ports: [{ port: 9080, protocol: 'http', name: 'http' }] });
    expect(reviews.source).toMatchObject({ file: 'k8s.yaml', line: 4, col: 9 });
    expect(reviews.versions.map((v) => [v.name, v.proxy, v.labels, v.replicas, v.spec])).toEqual([
      ['v1', 'reviews-v1', { app: 'reviews', version: 'v1' }, 1, { image: 'reviews:v1', replicas: 1 }],
      ['v2', 'reviews-v2', { app: 'reviews', version: 'v2' }, 1, { image: 'reviews:v2', replicas: 1, env: { LOG_DIR: '/tmp/logs' } }],
    ]);
  });

  it("names a version by Istio's canonical revision: canonical-revision, app.kubernetes.io/version, version, else latest", () => {
    const labelled = (labels: string) => deployment(undefined, '', 'reviews-a').replace('app: reviews\n    spec', `app: reviews\n        ${labels}\n    spec`);
    const version = (labels: string) => load({ 'k.yaml': `${SERVICE}---\n${labelled(labels)}` }).model?.services[0]?.versions.map((v) => v.name);
    expect(version('version: v2')).toEqual(['v2']);
    expect(version('app.kubernetes.io/version: v3\n        version: v2')).toEqual(['v3']);
    expect(version('service.istio.io/canonical-revision: v4\n        app.kubernetes.io/version: v3')).toEqual(['v4']);
    expect(load({ 'k.yaml': `${SERVICE}---\n${deployment(undefined)}` }).model?.services[0]?.versions.map((v) => [v.name, v.labels])).toEqual([
      ['latest', { app: 'reviews' }],
    ]);
  });

  it('rejects two workloads of one service with the same version', () => {
    const files = { 'k.yaml': [SERVICE, deployment('v1', '', 'reviews-a'), deployment('v1', '', 'reviews-b')].join('---\n') };
    expect(lines(files)).toEqual([
      'k.yaml:34:9 error: Deployments reviews-a and reviews-b of Service reviews are both version v1; localmesh runs each version of a service as one workload',
    ]);
  });

  it('reads command and args, replicas, env values, the readiness probe, and warns about valueFrom', () => {
    const extra = `        command: [python, app.py]
        args: [--port, "9080"]
        env:
        - {name: A, value: "1"}
        - name: SECRET
          valueFrom: {secretKeyRef: {name: s, key: k}}
        readinessProbe:
          httpGet: {path: /health, port: http}
          periodSeconds: 5
          timeoutSeconds: 2
          failureThreshold: 4
`;
    const text = deployment('v1', extra).replace('containerPort: 9080', 'containerPort: 9080\n          name: http').replace('  selector:\n    matchLabels', '  replicas: 3\n  selector:\n    matchLabels');
    const { model, diagnostics } = load({ 'k.yaml': `${SERVICE}---\n${text}` });
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`)).toEqual([
      "37:11 warning: env SECRET of container reviews takes its value from a secretKeyRef, which localmesh does not read: the variable is not set",
    ]);
    expect(model!.services[0]!.versions[0]!.spec).toEqual({
      image: 'reviews:v1',
      command: ['python', 'app.py', '--port', '9080'],
      env: { A: '1' },
      replicas: 3,
      healthcheck: { path: '/health', port: 9080, interval: '5s', timeout: '2s', retries: 4 },
    });
  });

  it('selects service port protocols as Istio does: appProtocol, then the port name prefix', () => {
    const ports = `  - {name: grpc-api, port: 9000}
  - {name: web, port: 9001, appProtocol: http2}
  - {name: tcp-db, port: 9002}
  - {name: https-x, port: 9003}
  - {port: 9004, appProtocol: kubernetes.io/h2c}
  - {name: redis, port: 9005}
  - {port: 3306}
  - {name: http2, port: 9006}
  - {name: metrics, port: 9007}
`;
    const { model, diagnostics } = load({ 'k.yaml': `${SERVICE}${ports}---\n${deployment('v1')}` });
    expect(model!.services[0]!.ports.map((p) => `${p.port} ${p.protocol}`)).toEqual([
      '9080 http', '9000 grpc', '9001 http2', '9002 tcp', '9003 tcp', '9004 http2', '9005 tcp', '3306 tcp', '9006 http2', '9007 http',
    ]);
    expect(diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`)).toEqual([
      "19:5 warning: port 9007 (metrics) of Service reviews names no protocol; Istio would detect it, localmesh serves it as HTTP",
    ]);
  });

  it('reads kind: List and multi-document files as kubectl writes them, with positions inside items', () => {
    const indent = (text: string) => text.trimEnd().split('\n').map((l, i) => (i === 0 ? `- ${l}` : `  ${l}`)).join('\n');
    const list = `apiVersion: v1\nkind: List\nmetadata: {resourceVersion: ""}\nitems:\n${indent(SERVICE)}\n${indent(deployment('v1', '', 'reviews-v1').replace('image: reviews:v1', 'image: reviews:v1\n        bogus: 1'))}\n`;
    expect(lines({ 'list.yaml': list })).toEqual([
      "list.yaml:31:11 error: unknown field 'bogus' in Deployment spec.template.spec.containers[0]",
    ]);
    const { model, diagnostics } = load({ 'list.yaml': list.replace('\n          bogus: 1', '') });
    expect(diagnostics).toEqual([]);
    expect(model!.services[0]!.source).toMatchObject({ file: 'list.yaml', line: 8, col: 11 });
  });

  it('reports kinds that do not change traffic in one warning per file', () => {
    const other = `apiVersion: v1
kind: ServiceAccount
metadata: {name: bookinfo-reviews}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {a: b}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: rb}
`;
    expect(lines({ 'k.yaml': `${SERVICE}---\n${deployment('v1')}---\n${other}` })).toEqual([
      'k.yaml:32:7 warning: read but not applied, as they do not change traffic here: ServiceAccount bookinfo-reviews; ConfigMap settings; RoleBinding rb',
    ]);
  });

  it('reads the Pods and ReplicaSets a Deployment made (kubectl get all) as not changing traffic, a lone Pod as an error', () => {
    const owned = (kind: string, name: string, owner: string) =>
      `apiVersion: ${kind === 'Pod' ? 'v1' : 'apps/v1'}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  ownerReferences: [{apiVersion: apps/v1, kind: ${owner}, name: x, uid: u}]\nspec: {}\n`;
    const text = [SERVICE, deployment('v1'), owned('ReplicaSet', 'reviews-v1-5d4', 'Deployment'), owned('Pod', 'reviews-v1-5d4-x7', 'ReplicaSet'), 'apiVersion: v1\nkind: Pod\nmetadata: {name: lone}\n'].join('---\n');
    expect(lines({ 'k.yaml': text })).toEqual([
      'k.yaml:46:7 error: Pod is not supported yet by localmesh',
      'k.yaml:32:7 warning: read but not applied, as they do not change traffic here: ReplicaSet reviews-v1-5d4; Pod reviews-v1-5d4-x7',
    ]);
  });

  it('keeps kinds that would change who talks to whom errors', () => {
    const text = 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: d}\n';
    expect(lines({ 'k.yaml': `${SERVICE}---\n${deployment('v1')}---\n${text}` })).toEqual([
      'k.yaml:32:7 error: NetworkPolicy is not supported yet by localmesh',
      'k.yaml:36:7 error: DaemonSet is not supported yet by localmesh',
    ]);
  });

  it('warns about a Service that selects nothing and a Deployment no Service selects', () => {
    const lonely = deployment('v1', '', 'sleep').replaceAll('app: reviews', 'app: sleep');
    expect(lines({ 'k.yaml': `${SERVICE}---\n${lonely}` })).toEqual([
      'k.yaml:7:5 warning: Service reviews selects no Deployment or StatefulSet (app=reviews), so calls to it fail',
      'k.yaml:15:9 warning: Deployment sleep is selected by no Service, so localmesh does not run it',
    ]);
  });

  it('keeps a target port other than the service port: the app listens there', () => {
    const files = { 'k.yaml': `${SERVICE.replace('port: 9080', 'port: 80\n    targetPort: 9080')}---\n${deployment('v1')}` };
    const { model, diagnostics } = load(files);
    expect(diagnostics).toEqual([]);
    expect(model!.services[0]!.ports).toEqual([{ port: 80, targetPort: 9080, protocol: 'http', name: 'http' }]);
  });

  it('rejects a named target port that stands for different container ports in two versions', () => {
    const named = (version: string, port: number) => deployment(version).replace('containerPort: 9080', `containerPort: ${port}\n          name: web`);
    const files = { 'k.yaml': [SERVICE.replace('port: 9080', 'port: 9080\n    targetPort: web'), named('v1', 8080), named('v2', 8081)].join('---\n') };
    expect(lines(files)).toEqual([
      "k.yaml:11:17 error: target port 'web' of Service reviews is port 8080 in Deployment reviews-v1 but 8081 in Deployment reviews-v2; localmesh needs one port per service port",
    ]);
  });

  it('joins the services of a Mesh document and rejects one declared by both', () => {
    const { model, diagnostics } = load({ 'mesh.yaml': MESH.replace(/ {4}reviews:[\s\S]*?(?= {4}ratings)/, ''), 'k.yaml': `${SERVICE}---\n${deployment('v1')}` });
    expect(diagnostics).toEqual([]);
    expect(model!.name).toBe('shop');
    expect(model!.services.map((s) => s.name)).toEqual(['ratings', 'reviews']);
    expect(lines({ 'mesh.yaml': MESH, 'k.yaml': `${SERVICE}---\n${deployment('v1')}` })).toEqual([
      'k.yaml:4:9 error: service reviews.default is declared twice: by this Service and in the Mesh document',
    ]);
  });
});

describe('Kubernetes workloads: what localmesh cannot apply', () => {
  it('serves no UDP port, runs only the first container, and skips a version with no replicas', () => {
    const ports = '  - {name: dns, port: 53, protocol: UDP}\n';
    const second = '      - {name: helper, image: helper:1}\n';
    const files = {
      'k.yaml': [`${SERVICE}${ports}`, deployment('v1', second), deployment('v2').replace('  selector:\n    matchLabels', '  replicas: 0\n  selector:\n    matchLabels')].join('---\n'),
    };
    expect(lines(files)).toEqual([
      'k.yaml:11:37 warning: UDP port 53 (dns) of Service reviews is not served: Istio proxies TCP only',
      'k.yaml:31:16 warning: container helper of Deployment reviews-v1 is not run: localmesh runs one app container per version, the first',
      'k.yaml:38:13 warning: Deployment reviews-v2 has replicas: 0, so it does not run',
    ]);
    const { model } = load(files);
    expect(model!.services[0]!.ports).toEqual([{ port: 9080, protocol: 'http', name: 'http' }]);
    expect(model!.services[0]!.versions.map((v) => v.name)).toEqual(['v1']);
  });

  it('warns of init containers and of volumes other than emptyDir, which are not run or mounted', () => {
    const pod = `      initContainers: [{name: migrate, image: migrate:1}]
      volumes:
      - {name: tmp, emptyDir: {}}
      - name: config
        configMap: {name: settings}
`;
    expect(lines({ 'k.yaml': `${SERVICE}---\n${deployment('v1', pod)}` })).toEqual([
      'k.yaml:30:31 warning: init container migrate of Deployment reviews-v1 is not run: localmesh runs the app container only',
      'k.yaml:33:15 warning: volume config (configMap) of Deployment reviews-v1 is not mounted: localmesh mounts no volumes (an emptyDir needs none: the container writes its own files)',
    ]);
  });

  it('resolves a named target port to the container port', () => {
    const named = deployment('v1').replace('containerPort: 9080', 'containerPort: 9080\n          name: web');
    const service = SERVICE.replace('port: 9080', 'port: 9080\n    targetPort: web');
    expect(lines({ 'k.yaml': `${service}---\n${named}` })).toEqual([]);
    expect(lines({ 'k.yaml': `${service.replace('targetPort: web', 'targetPort: api')}---\n${named}` })).toEqual([
      "k.yaml:11:17 error: target port 'api' of Service reviews names no port of container reviews in Deployment reviews-v1",
    ]);
  });

  it('selects workloads of its own namespace only, and a StatefulSet as a Deployment', () => {
    const other = deployment('v2').replace('name: reviews-v2', 'name: reviews-v2\n  namespace: other');
    const sts = deployment('v3').replace('kind: Deployment', 'kind: StatefulSet');
    const { model, diagnostics } = load({ 'k.yaml': [SERVICE, deployment('v1'), other, sts].join('---\n') });
    expect(diagnostics.map((d) => d.message)).toEqual(['Deployment reviews-v2 is selected by no Service, so localmesh does not run it']);
    expect(model!.services[0]!.versions.map((v) => v.name)).toEqual(['v1', 'v3']);
  });

  it('rejects a Service without a selector, an ExternalName, and a workload two Services select', () => {
    const external = 'apiVersion: v1\nkind: Service\nmetadata: {name: ext}\nspec: {type: ExternalName, externalName: example.com}\n';
    const manual = 'apiVersion: v1\nkind: Service\nmetadata: {name: manual}\nspec: {ports: [{port: 80}]}\n';
    const twice = SERVICE.replace('name: reviews', 'name: reviews-too');
    expect(lines({ 'k.yaml': [SERVICE, deployment('v1'), external, manual, twice].join('---\n') }, 'error')).toEqual([
      'k.yaml:34:14 error: Service ext is an ExternalName; localmesh runs the Deployments and StatefulSets a selector matches, and Services without one are not supported yet',
      'k.yaml:39:1 error: Service manual has no selector; localmesh runs the Deployments and StatefulSets a selector matches, and Services without one are not supported yet',
      'k.yaml:47:5 error: Deployment reviews-v1 is selected by Services reviews and reviews-too; localmesh runs a workload for one Service only',
    ]);
  });

  it('reads what kubectl get -o yaml adds (status, defaults, managed fields)', () => {
    const kubectl = `apiVersion: v1
kind: List
metadata: {resourceVersion: ""}
items:
- apiVersion: v1
  kind: Service
  metadata:
    creationTimestamp: "2026-01-01T00:00:00Z"
    labels: {app: reviews}
    name: reviews
    namespace: default
    resourceVersion: "612"
    uid: 0b0e3d9c-0000-4000-8000-000000000000
  spec:
    clusterIP: 10.96.12.7
    clusterIPs: [10.96.12.7]
    internalTrafficPolicy: Cluster
    ipFamilies: [IPv4]
    ipFamilyPolicy: SingleStack
    ports:
    - {name: http, port: 9080, protocol: TCP, targetPort: 9080}
    selector: {app: reviews}
    sessionAffinity: None
    type: ClusterIP
  status: {loadBalancer: {}}
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    annotations: {deployment.kubernetes.io/revision: "1"}
    generation: 1
    name: reviews-v1
    namespace: default
  spec:
    progressDeadlineSeconds: 600
    replicas: 2
    revisionHistoryLimit: 10
    selector: {matchLabels: {app: reviews, version: v1}}
    strategy: {rollingUpdate: {maxSurge: 25%, maxUnavailable: 25%}, type: RollingUpdate}
    template:
      metadata:
        creationTimestamp: null
        labels: {app: reviews, version: v1}
      spec:
        containers:
        - image: reviews:1
          imagePullPolicy: IfNotPresent
          name: reviews
          ports:
          - {containerPort: 9080, protocol: TCP}
          resources: {}
          terminationMessagePath: /dev/termination-log
          terminationMessagePolicy: File
        dnsPolicy: ClusterFirst
        restartPolicy: Always
        schedulerName: default-scheduler
        securityContext: {}
        terminationGracePeriodSeconds: 30
  status: {availableReplicas: 2, observedGeneration: 1, readyReplicas: 2, replicas: 2}
`;
    const { model, diagnostics } = load({ 'get.yaml': kubectl });
    expect(diagnostics).toEqual([]);
    expect(model!.services.map((s) => [s.fqdn, s.versions.map((v) => [v.name, v.replicas, v.spec.image])])).toEqual([
      ['reviews.default.svc.cluster.local', [['v1', 2, 'reviews:1']]],
    ]);
  });
});

describe("Istio's bookinfo, unmodified", () => {
  const DIR = 'test/fixtures/istio/bookinfo';
  const files = ['bookinfo.yaml', 'bookinfo-gateway.yaml', 'destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml'];
  const result = loadMeshFromSources(files.map((f) => ({ path: `${DIR}/${f}`, text: readFileSync(`${DIR}/${f}`, 'utf8') })), DIR);

  it('validates: one warning for the service accounts, and the subsets no workload backs', () => {
    expect(result.diagnostics.map((d) => `${d.file.replace(`${DIR}/`, '')}:${d.line}:${d.col} ${d.severity}: ${d.message}`)).toEqual([
      'bookinfo.yaml:49:7 warning: read but not applied, as they do not change traffic here: ServiceAccount bookinfo-details, bookinfo-ratings, bookinfo-reviews, bookinfo-productpage',
      // destination-rule-all.yaml names versions bookinfo.yaml does not deploy (ratings v2, details v2).
      "destination-rule-all.yaml:41:11 warning: subset 'v2' selects no version of ratings (labels version=v2), so traffic sent to it fails",
      "destination-rule-all.yaml:44:11 warning: subset 'v2-mysql' selects no version of ratings (labels version=v2-mysql), so traffic sent to it fails",
      "destination-rule-all.yaml:47:11 warning: subset 'v2-mysql-vm' selects no version of ratings (labels version=v2-mysql-vm), so traffic sent to it fails",
      "destination-rule-all.yaml:61:11 warning: subset 'v2' selects no version of details (labels version=v2), so traffic sent to it fails",
    ]);
  });

  it("has bookinfo's services, versions and images", () => {
    expect(result.model!.name).toBe('bookinfo');
    expect(result.model!.services.map((s) => `${s.name}: ${s.versions.map((v) => `${v.name} ${v.spec.image}`).join(', ')}`)).toEqual([
      'details: v1 registry.istio.io/release/examples-bookinfo-details-v1:1.20.3',
      'productpage: v1 registry.istio.io/release/examples-bookinfo-productpage-v1:1.20.3',
      'ratings: v1 registry.istio.io/release/examples-bookinfo-ratings-v1:1.20.3',
      'reviews: v1 registry.istio.io/release/examples-bookinfo-reviews-v1:1.20.3, v2 registry.istio.io/release/examples-bookinfo-reviews-v2:1.20.3, v3 registry.istio.io/release/examples-bookinfo-reviews-v3:1.20.3',
    ]);
    expect(result.model!.services.find((s) => s.name === 'reviews')!.versions[0]!.spec.env).toEqual({ LOG_DIR: '/tmp/logs' });
  });
});

describe('Kubernetes workload identity', () => {
  it("a pod template's serviceAccountName is the version's service account; without one, the service's name", async () => {
    const withAccount = deployment('v1').replace('    spec:\n      containers:', '    spec:\n      serviceAccountName: bookinfo-reviews\n      containers:');
    const { model, diagnostics } = load({ 'k8s.yaml': [SERVICE, withAccount, deployment('v2')].join('---\n') });
    expect(diagnostics).toEqual([]);
    const { proxySpiffeId } = await import('../../../src/control/secrets.ts');
    expect(proxySpiffeId(model!, { proxy: 'reviews-v1', service: 'reviews', version: 'v1' })).toBe('spiffe://cluster.local/ns/default/sa/bookinfo-reviews');
    expect(proxySpiffeId(model!, { proxy: 'reviews-v2', service: 'reviews', version: 'v2' })).toBe('spiffe://cluster.local/ns/default/sa/reviews');
  });
});
