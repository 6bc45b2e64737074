import { loadMesh } from '../../config/index.ts';
import { hasErrors, sortDiagnostics } from '../../config/diagnostics.ts';
import { composeAddressing } from '../../compile/addressing.ts';
import { compileChecked } from '../../compile/refusal.ts';
import { GENERATED_SUFFIX } from '../../config/gateway-api/gateways.ts';
import { EXIT, printDiagnostics, summary } from '../output.ts';

export const help = `Usage: mesh validate [DIR] [--json] [--analyze]

Checks the mesh in DIR (default: the current directory): the workloads (a localmesh Mesh
file, or Kubernetes Services and the Deployments they select) and Istio's Gateway,
VirtualService and DestinationRule resources, and that Envoy takes what they compile to
(its protos' types and validation rules). Mistakes are printed as
FILE:LINE:COL: error: message, with a hint.

With --analyze, also a lint pass in the spirit of istioctl analyze: what Istio's analyzers would
report (unknown or misplaced Istio annotations, conflicting Gateways, a Gateway selector no pod
matches, a destination without a port to a service with several, TLS origination without
caCertificates), and Istio's message code on every finding Istio has one for, as
FILE:LINE:COL: error|warning [IST0101] message. The codes are listed in the README.

Options:
  --json      print the diagnostics as JSON on stdout (with --analyze, each with its code)
  --analyze   run Istio's analyzers too; errors among them make the mesh invalid (exit 1)
  -h, --help  show this help

Exit codes: 0 valid (warnings allowed), 1 invalid, 2 usage error.`;

export async function run(dir: string, options: { json: boolean; analyze?: boolean }): Promise<number> {
  const loaded = await loadMesh(dir, { analyze: options.analyze === true });
  // What the mesh compiles to must be what Envoy takes: the same compile as mesh generate's.
  const refused = loaded.model && !hasErrors(loaded.diagnostics) ? compileChecked(loaded.model, composeAddressing(), dir).diagnostics : [];
  const diagnostics = [...refused, ...loaded.diagnostics];
  const valid = !hasErrors(diagnostics);
  const model = valid ? loaded.model : undefined;
  if (options.json) {
    console.log(JSON.stringify({ valid, diagnostics: sortDiagnostics(diagnostics) }, null, 2));
  } else {
    printDiagnostics(diagnostics);
    if (valid && model) {
      const versions = model.services.reduce((n, s) => n + s.versions.length, 0);
      const routes = new Set(model.virtualServices.filter((v) => v.from).map((v) => `${v.namespace}/${v.name}`)).size;
      // A Gateway API Gateway is one Istio Gateway per listener: counted once.
      const peers = model.peerAuthentications?.length ?? 0;
      const authz = model.authorizationPolicies?.length ?? 0;
      const authn = model.requestAuthentications?.length ?? 0;
      const entries = model.serviceEntries?.length ?? 0;
      const gateways = new Set(model.gateways.map((g) => `${g.namespace}/${g.name.split(`-${GENERATED_SUFFIX}-`)[0]}`)).size;
      console.log(
        `${dir}: valid (${model.services.length} services, ${versions} versions, ` +
          `${model.virtualServices.length - model.virtualServices.filter((v) => v.from).length} VirtualServices, ${model.destinationRules.length} DestinationRules, ` +
          `${gateways} Gateways${routes > 0 ? `, ${routes} HTTPRoutes` : ''}${peers > 0 ? `, ${peers} PeerAuthentications` : ''}` +
          `${authz > 0 ? `, ${authz} AuthorizationPolicies` : ''}${authn > 0 ? `, ${authn} RequestAuthentications` : ''}` +
          `${entries > 0 ? `, ${entries} ServiceEntries` : ''}; ${summary(diagnostics)})`,
      );
    } else {
      console.error(`${dir}: invalid (${summary(diagnostics)})`);
    }
  }
  return valid ? EXIT.ok : EXIT.invalid;
}
