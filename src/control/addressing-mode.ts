// Where the control plane's proxies listen, and where their stats are read: the Compose stack
// (`--addressing compose`) or a port map the process runtime wrote (`--addressing FILE`).
//
// The port map file is JSON:
//   { "listenAddress": "127.0.0.1",
//     "ports": { "outbound reviews-v1": 20001, "inbound reviews-v1 9080": 20002,
//                "app reviews-v1 9080": 20003, "gateway 80": 20004, "admin reviews-v1": 20005, … } }
// with the keys of loopbackAddressing (see src/compile/addressing.ts) plus `admin PROXY`, the
// Envoy admin port of each proxy. Keys the file does not name get new ports above all of its
// ports; a port once handed out stays the same across reloads.
import { readFile } from 'node:fs/promises';
import type { MeshModel } from '../config/model.ts';
import { envoyName, portKey } from '../config/names.ts';
import { CAPTURE_PORTS, composeAddressing, loopbackAddressing, type Addressing } from '../compile/addressing.ts';

export interface AddressingMode {
  /** How `compose` or `FILE` was given, for messages. */
  name: string;
  /** The addressing to compile a model with. */
  forModel(model: MeshModel): Addressing;
  /** The URL of a proxy's Envoy `/stats` (admin or the stats port), when it is known. */
  statsUrl(proxy: string): string | undefined;
  /**
   * A port map file only: reads it again; its ports replace those handed out before (the process
   * runtime moves an app to a new port to restart it, and adds the ports of versions added while
   * running). True when a port changed: the mesh must be compiled again.
   */
  reread?(): Promise<boolean>;
}

export function composeMode(): AddressingMode {
  const addressing = composeAddressing();
  return {
    name: 'compose',
    forModel: () => addressing,
    // Proxies are Compose services named SERVICE-VERSION-proxy (and mesh-gateway), on the stats port.
    statsUrl: (proxy) => `http://${envoyName(proxy)}:${CAPTURE_PORTS.stats}/stats`,
  };
}

/** A port map as the process runtime writes it. */
export interface PortMapFile {
  listenAddress?: string;
  ports: Record<string, number>;
}

export function portMapMode(name: string, file: PortMapFile): AddressingMode {
  let ports = new Map(Object.entries(file.ports));
  return {
    async reread() {
      const now = await readPortMap(name);
      const moved = Object.entries(now.ports).filter(([key, port]) => ports.get(key) !== port);
      for (const [key, port] of moved) ports.set(key, port);
      return moved.length > 0;
    },
    name,
    forModel(model) {
      const addressing = loopbackAddressing(model, 0, { ports, listenAddress: file.listenAddress });
      ports = addressing.ports; // ports handed out for this model stay for the next reload
      return addressing;
    },
    statsUrl(proxy) {
      const port = ports.get(portKey.admin(proxy));
      return port === undefined ? undefined : `http://127.0.0.1:${port}/stats`;
    },
  };
}

/** `compose`, or the path of a port map file; a file that cannot be used is an Error with a sentence. */
export async function addressingMode(option: string): Promise<AddressingMode> {
  if (option === 'compose') return composeMode();
  return portMapMode(option, await readPortMap(option));
}

async function readPortMap(option: string): Promise<PortMapFile> {
  let text: string;
  try {
    text = await readFile(option, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the port map ${option}: ${(error as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`the port map ${option} is not JSON: ${(error as Error).message}`);
  }
  return checkPortMap(option, parsed);
}

function checkPortMap(path: string, value: unknown): PortMapFile {
  const v = value as Partial<PortMapFile> | null;
  const bad = (why: string) => new Error(`the port map ${path} ${why}; expected {"listenAddress": "127.0.0.1", "ports": {"outbound reviews-v1": 20001, …}}`);
  if (typeof v !== 'object' || v === null || typeof v.ports !== 'object' || v.ports === null) throw bad('has no "ports" object');
  if (v.listenAddress !== undefined && typeof v.listenAddress !== 'string') throw bad('has a "listenAddress" that is not a string');
  for (const [key, port] of Object.entries(v.ports)) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`gives "${key}" the port ${JSON.stringify(port)}, not a port number`);
  }
  return { listenAddress: v.listenAddress, ports: v.ports };
}
