// `mesh export kubernetes`, the pure part: a mesh's files → the manifests a cluster with Istio runs.
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadMeshFromSources, type SourceFile } from '../../src/config/index.ts';
import { exportKubernetes, portName } from '../../src/export/kubernetes.ts';

const NODE = 'node:24-bookworm-slim';

function exported(files: SourceFile[]) {
  const { model, diagnostics } = loadMeshFromSources(files, 'm');
  expect(model, JSON.stringify(diagnostics)).toBeDefined();
  return exportKubernetes({ model: model!, dir: 'm', files, nodeImage: NODE });
}

const docs = (text: string) => parseAllDocuments(text).map((d) => d.toJS());

const MESH: SourceFile = {
  path: 'm/mesh.yaml',
  text: `apiVersion: localmesh.dev/v1alpha1
kind: Mesh
metadata: { name: shop, namespace: shop }
spec:
  services:
    web:
      labels: { team: a }
      ports: [{ port: 8080 }, { port: 9090, protocol: grpc, name: api }, { port: 5432, protocol: tcp }]
      versions:
        v1:
          image: web:1
          command: "serve --port 8080"
          env: { MODE: prod, WORKERS: 4, DEBUG: false }
          replicas: 3
          healthcheck: { path: /ready, interval: 500ms, timeout: 2s, retries: 5 }
        v2:
          command: [node, ../app/server.mjs]
          healthcheck: { port: 9090 }
        v3:
          build: ./web
`,
};

const ROUTES: SourceFile = {
  path: 'm/routes/web.yaml',
  text: `# the split
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: web, namespace: shop }
spec:
  hosts: [web]
  http:
    - route:
        - { destination: { host: web, subset: v1 }, weight: 90 }
        - { destination: { host: web, subset: v2 }, weight: 10 }
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: web, namespace: shop }
spec:
  host: web
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 } }
`,
};

describe('mesh export kubernetes (generator)', () => {
  const result = exported([MESH, ROUTES]);

  it('writes the namespaces, one file per service, and the other files at their paths', () => {
    expect([...result.files.keys()]).toEqual(['namespaces.yaml', 'routes/web.yaml', 'workloads/web.shop.yaml']);
  });

  it('says in each generated file where it comes from', () => {
    expect(result.files.get('namespaces.yaml')).toMatch(/^# Written by mesh export kubernetes: the namespaces of the mesh in m; edit the mesh and export\n# again\.\n/);
    expect(result.files.get('workloads/web.shop.yaml')).toMatch(/^# Written by mesh export kubernetes: service web of the Mesh document in m\/mesh\.yaml; edit the\n# mesh and export again\.\n/);
  });

  it('copies the Istio files byte for byte', () => {
    expect(result.files.get('routes/web.yaml')).toBe(ROUTES.text);
  });

  it('labels each namespace for sidecar injection', () => {
    // The Mesh and both Istio resources are in shop: one Namespace.
    expect(docs(result.files.get('namespaces.yaml')!)).toEqual([
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { 'istio-injection': 'enabled' } } },
    ]);
  });

  const [account, service, v1, v2, v3] = docs(result.files.get('workloads/web.shop.yaml')!);

  it('names the Service ports by protocol, as Istio selects protocols, and selects the app', () => {
    expect(account).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'web', namespace: 'shop', labels: { account: 'web' } } });
    expect(service.spec).toEqual({
      ports: [{ name: 'http-8080', port: 8080 }, { name: 'grpc-api', port: 9090 }, { name: 'tcp-5432', port: 5432 }],
      selector: { app: 'web' },
    });
  });

  it('writes a Deployment per version: labels, image, args, env as strings, replicas, ports, probe', () => {
    expect(v1.metadata).toEqual({ name: 'web-v1', namespace: 'shop', labels: { app: 'web', version: 'v1' } });
    expect(v1.spec.replicas).toBe(3);
    expect(v1.spec.selector).toEqual({ matchLabels: { app: 'web', version: 'v1' } });
    expect(v1.spec.template.metadata.labels).toEqual({ app: 'web', version: 'v1', team: 'a' });
    expect(v1.spec.template.spec).toEqual({
      serviceAccountName: 'web',
      containers: [{
        name: 'web',
        image: 'web:1',
        args: ['serve', '--port', '8080'],
        env: [{ name: 'MODE', value: 'prod' }, { name: 'WORKERS', value: '4' }, { name: 'DEBUG', value: 'false' }],
        ports: [{ containerPort: 8080 }, { containerPort: 9090 }, { containerPort: 5432 }],
        readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1, timeoutSeconds: 2, failureThreshold: 5 },
      }],
    });
    expect(v2.spec.template.spec.containers[0].readinessProbe).toEqual({ tcpSocket: { port: 9090 } });
  });

  it('runs a command-only version on the Node.js image, and says in a warning and a comment that its files are missing', () => {
    expect(v2.spec.template.spec.containers[0]).toMatchObject({ image: NODE, args: ['node', '../app/server.mjs'] });
    const text = result.files.get('workloads/web.shop.yaml')!;
    expect(text).toContain('# web v2 runs `node ../app/server.mjs` on node:24-bookworm-slim with the mesh folder mounted;');
    expect(text).toContain('# replace: see the note at the top');
    const warnings = result.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.severity}: ${d.message}`);
    expect(warnings).toEqual([
      expect.stringMatching(/^m\/mesh\.yaml:6:5: warning: the exported Deployment web-v2 will not run as is: web v2 runs `node \.\.\/app\/server\.mjs` on node:24-bookworm-slim.*bake the app folder into an image/),
      expect.stringMatching(/^m\/mesh\.yaml:6:5: warning: the exported Deployment web-v3 will not run as is: web v3 is built from \.\/web by mesh up: build it and push it as web:v3/),
    ]);
    expect(v3.spec.template.spec.containers[0].image).toBe('web:v3');
  });

  it('is deterministic', () => {
    expect(exported([MESH, ROUTES]).files).toEqual(result.files);
  });
});

describe('mesh export kubernetes: files beside the Mesh', () => {
  it('leaves the Mesh document out of a file that holds others, the rest as written', () => {
    const other = ROUTES.text.replace('# the split\n', '');
    const both: SourceFile = { path: 'm/all.yaml', text: `${MESH.text}---\n${other}` };
    const result = exported([both]);
    expect(result.files.get('all.yaml')).toBe(`---\n${other}`);
  });

  it("leaves localmesh's other kinds out, with a warning", () => {
    const canary: SourceFile = {
      path: 'm/canary.yaml',
      text: 'apiVersion: localmesh.dev/v1alpha1\nkind: Canary\nmetadata: { name: web-v2, namespace: shop }\nspec: { host: web, from: v1, to: v2 }\n',
    };
    const result = exported([MESH, ROUTES, canary]);
    expect([...result.files.keys()]).toEqual(['namespaces.yaml', 'routes/web.yaml', 'workloads/web.shop.yaml']);
    expect(result.diagnostics.filter((d) => d.file === 'm/canary.yaml')).toEqual([{
      file: 'm/canary.yaml', line: 2, col: 7, severity: 'warning',
      message: "Canary web-v2 is not exported: it is localmesh's own kind, which a cluster does not know",
      hint: "in a cluster, Flagger's Canary (flagger.app/v1beta1) runs the same analysis",
    }]);
  });

  it('copies Kubernetes Services and Deployments as written, not regenerated', () => {
    const kube: SourceFile = {
      path: 'm/app.yaml',
      text: `apiVersion: v1
kind: Service
metadata: { name: api }
spec: { selector: { app: api }, ports: [{ name: http, port: 80, targetPort: 8080 }] }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: api-v1 }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api, version: v1 } }
    spec: { containers: [{ name: api, image: api:1, ports: [{ containerPort: 8080 }] }] }
`,
    };
    const result = exported([kube]);
    expect([...result.files.keys()]).toEqual(['app.yaml', 'namespaces.yaml']);
    expect(result.files.get('app.yaml')).toBe(kube.text);
  });

  it('refuses to overwrite a file of the mesh with a generated one', () => {
    const clash: SourceFile = { path: 'm/namespaces.yaml', text: ROUTES.text };
    const result = exported([MESH, clash]);
    expect(result.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.file}: ${d.message}`)).toEqual([
      'm/namespaces.yaml: namespaces.yaml would be overwritten by the generated Namespaces',
    ]);
  });
});

describe('portName', () => {
  it('prefixes the protocol unless the name already starts with it', () => {
    expect(portName('http', 80)).toBe('http-80');
    expect(portName('http2', 80, 'web')).toBe('http2-web');
    expect(portName('http', 80, 'http')).toBe('http');
    expect(portName('grpc', 80, 'grpc-api')).toBe('grpc-api');
    expect(portName('http', 80, 'http2')).toBe('http-http2');
    expect(portName('tcp', 5432, 'db')).toBe('tcp-db');
  });
});
