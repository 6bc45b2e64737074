// Every port the process runtime needs for a mesh, as the port map `mesh control --addressing`
// reads (see src/control/addressing-mode.ts): the loopback addressing's keys, `admin PROXY` for
// each Envoy, the gateway's published ports, and the control plane's own two ports.
import { gatewayHostPorts, gatewayPortText, proxyIds, type MeshModel } from '../../config/model.ts';
import { GATEWAY_PROXY, portKey } from '../../config/names.ts';
import { loopbackPortKeys } from '../../compile/addressing.ts';
import type { PortMapFile } from '../../control/addressing-mode.ts';
import { freePorts, portFree } from '../ports.ts';

export const CONTROL_DEFAULTS = { xds: 15010, api: 15080 } as const;

export interface PortPlan {
  portMap: PortMapFile;
  control: { xdsPort: number; apiPort: number };
  /** One line each for the user, e.g. that a default port was busy and another was taken. */
  notes: string[];
}

/** The keys a compile of this model asks for (derived from the model, no compile), and each proxy's admin port. */
function portKeys(model: MeshModel): string[] {
  return [...loopbackPortKeys(model), ...proxyIds(model).map(portKey.admin)];
}

/** Ports for everything; a gateway port that is taken is an Error with a sentence. */
export async function planPorts(model: MeshModel): Promise<PortPlan> {
  const notes: string[] = [];
  const fixed = new Map<string, number>();
  for (const published of gatewayHostPorts(model)) {
    const { proxy, serverPort, hostPort } = published;
    if (!(await portFree(hostPort))) {
      const { whose, remedy } = gatewayPortText(published);
      // Another gateway proxy than the ingress gateway takes a free port instead (mesh status shows it).
      if (proxy !== GATEWAY_PROXY) {
        notes.push(`Port ${hostPort} (${whose}) is in use on 127.0.0.1; ${proxy} listens on a free port instead.`);
        continue;
      }
      throw new Error(`port ${hostPort} (${whose}) is in use on 127.0.0.1; stop what listens there, or ${remedy}.`);
    }
    fixed.set(portKey.gateway(serverPort, proxy), hostPort);
  }
  const control: PortPlan['control'] = { xdsPort: CONTROL_DEFAULTS.xds, apiPort: CONTROL_DEFAULTS.api };
  const taken = new Set([...fixed.values()]);
  for (const [key, name] of [['xdsPort', 'xDS'], ['apiPort', 'API']] as const) {
    if (!taken.has(control[key]) && (await portFree(control[key]))) continue;
    const [port] = await freePorts(1, taken);
    notes.push(`The control plane's ${name} port ${control[key]} is in use; using ${port}.`);
    control[key] = port!;
  }
  taken.add(control.xdsPort).add(control.apiPort);
  const keys = portKeys(model).filter((key) => !fixed.has(key));
  const free = await freePorts(keys.length, taken);
  const ports = Object.fromEntries([...keys.map((key, i) => [key, free[i]!] as const), ...fixed]);
  return { portMap: { listenAddress: '127.0.0.1', ports }, control, notes };
}

/**
 * The port map with a port for every key `model` needs that it lacks (versions and services added
 * while running), handed out as the control plane hands out a key its port map does not name
 * (the next above all, in the order a compile asks for them), so both agree before the control
 * plane reads the file again; the ports it has stay.
 */
export function extendPortMap(model: MeshModel, file: PortMapFile): { portMap: PortMapFile; added: string[] } {
  const ports = new Map(Object.entries(file.ports));
  let next = Math.max(0, ...ports.values()) + 1;
  const added = portKeys(model).filter((key) => !ports.has(key));
  for (const key of added) ports.set(key, next++);
  return { portMap: { ...file, ports: Object.fromEntries(ports) }, added };
}
