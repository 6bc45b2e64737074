// The Mesh document → the services of the mesh, sorted by fqdn, with their checks: every service has
// a version, every version something to run, names that work as DNS names and container names.
import type { SourceDocument } from './load.ts';
import { DEFAULT_NAMESPACE, fqdn, type ServiceModel, type VersionModel } from './model.ts';
import { proxyId } from './names.ts';
import { keyAt, valueAt } from './position.ts';
import type { Report } from './report.ts';
import type { Mesh } from './schema/mesh.ts';

/** RFC 1123 label, as Kubernetes requires of service and namespace names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

export function dnsLabelProblem(what: string, name: string): string {
  return `${what} '${name}' is not a valid DNS label: use at most 63 lowercase letters, digits and '-', starting and ending with a letter or digit`;
}

export function meshNamespace(mesh: Mesh): string {
  return mesh.metadata.namespace ?? DEFAULT_NAMESPACE;
}

export function buildServices(mesh: Mesh, source: SourceDocument, report: Report): ServiceModel[] {
  const meshNs = meshNamespace(mesh);
  if (!isDnsLabel(meshNs)) report('error', valueAt(source, ['metadata', 'namespace']), dnsLabelProblem('namespace', meshNs));
  const services: ServiceModel[] = [];
  for (const [name, service] of Object.entries(mesh.spec.services)) {
    const path = ['spec', 'services', name];
    if (!isDnsLabel(name)) report('error', keyAt(source, path), dnsLabelProblem('service name', name));
    const namespace = service.namespace ?? meshNs;
    if (service.namespace !== undefined && !isDnsLabel(namespace)) report('error', valueAt(source, [...path, 'namespace']), dnsLabelProblem('namespace', namespace));

    const seen = new Map<number, number>();
    service.ports.forEach((port, i) => {
      const first = seen.get(port.port);
      if (first !== undefined) {
        report('error', valueAt(source, [...path, 'ports', i, 'port']),
          `port ${port.port} is listed twice for service ${name} (first at ports[${first}])`);
      } else seen.set(port.port, i);
    });

    const versionNames = Object.keys(service.versions).sort();
    if (versionNames.length === 0) {
      report('error', keyAt(source, [...path, 'versions']), `service ${name} has no versions`,
        `add one, e.g. versions: { v1: { image: ${name}:latest } }`);
    }
    const versions: VersionModel[] = versionNames.map((version) => {
      const spec = service.versions[version]!;
      const at = keyAt(source, [...path, 'versions', version]);
      if (!isDnsLabel(version)) report('error', at, dnsLabelProblem(`version name of ${name}`, version));
      if (spec.image === undefined && spec.build === undefined && spec.command === undefined) {
        report('error', at, `version ${version} of ${name} has nothing to run: give it an image, a build or a command`,
          'image: for a container image, build: for a Dockerfile directory, command: for a local process');
      }
      return {
        name: version,
        proxy: proxyId(name, version),
        labels: { app: name, version, ...service.labels, ...spec.labels },
        replicas: spec.replicas,
        spec,
        ...(service.serviceAccount ? { serviceAccount: service.serviceAccount } : {}),
      };
    });
    services.push({
      name,
      namespace,
      fqdn: fqdn(name, namespace),
      ports: service.ports,
      versions,
      source: keyAt(source, path),
    });
  }
  return services.sort((a, b) => (a.fqdn < b.fqdn ? -1 : a.fqdn > b.fqdn ? 1 : 0));
}
