// The Docker Engine API (dockerode) for the Compose runtime: a stack's containers and their
// health, progress from the engine's events, and the checks that turn engine problems into
// sentences (images missing, names taken, NET_ADMIN refused). An Engine is a value: the
// composition root (runtime/registry.ts) makes one, and a test can make its own.
import Docker from 'dockerode';
import { fileURLToPath } from 'node:url';
import type { OwnImage } from '../../compose/images.ts';
import { indented } from '../log-tail.ts';
import type { AuthConfig } from './credentials.ts';

/** One line of the engine's progress stream (a pull or a build), as the Engine API sends it. */
export interface ProgressEvent {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  /** A build's output. */
  stream?: string;
  error?: string;
}

const PROJECT_LABEL = 'com.docker.compose.project';
const SERVICE_LABEL = 'com.docker.compose.service';
const WORKDIR_LABEL = 'com.docker.compose.project.working_dir';


export interface StackContainer {
  id: string;
  name: string;
  /** The Compose service. */
  service: string;
  /** created, running, exited, … */
  state: string;
  /** healthy, unhealthy, starting; absent without a healthcheck. */
  health?: string;
  exitCode?: number;
  labels: Record<string, string>;
}

export class Engine {
  readonly #docker: Docker;

  /** The engine of DOCKER_HOST, else the default socket, unless given. */
  constructor(docker: Docker = new Docker()) {
    this.#docker = docker;
  }

  async stackContainers(project: string): Promise<StackContainer[]> {
    const list = await this.#docker.listContainers({ all: true, filters: { label: [`${PROJECT_LABEL}=${project}`] } });
    return list
      .map((c) => {
        const health = /\((healthy|unhealthy|health: starting)\)/.exec(c.Status)?.[1]?.replace('health: ', '');
        const exit = /^Exited \((-?\d+)\)/.exec(c.Status)?.[1];
        return {
          id: c.Id,
          name: (c.Names[0] ?? c.Id).replace(/^\//, ''),
          service: c.Labels[SERVICE_LABEL] ?? '',
          state: c.State,
          ...(health ? { health } : {}),
          ...(exit !== undefined ? { exitCode: Number(exit) } : {}),
          labels: c.Labels,
        };
      })
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The Compose project of the stack started from `meshDir` (by its containers' working directory), if any. */
  async projectFrom(meshDir: string): Promise<string | undefined> {
    // The project directory is DIR (before: DIR/.mesh, still found for stacks started so).
    for (const workdir of [meshDir, `${meshDir}/.mesh`]) {
      const list = await this.#docker.listContainers({ all: true, filters: { label: [`${WORKDIR_LABEL}=${workdir}`] } });
      const project = list.map((c) => c.Labels[PROJECT_LABEL]).find((p) => p !== undefined);
      if (project) return project;
    }
    return undefined;
  }

  async stackNetworks(project: string): Promise<Array<{ id: string; name: string }>> {
    const list = await this.#docker.listNetworks({ filters: { label: [`${PROJECT_LABEL}=${project}`] } });
    return list.map((n) => ({ id: n.Id, name: n.Name }));
  }

  /** The last lines of a container's log (stdout and stderr). */
  async containerLog(id: string, lines = 15): Promise<string[]> {
    const buffer = (await this.#docker.getContainer(id).logs({ stdout: true, stderr: true, tail: lines })) as unknown as Buffer;
    // Without a TTY the log is multiplexed: 8-byte frame headers before each chunk.
    const text: string[] = [];
    for (let at = 0; at + 8 <= buffer.length; ) {
      const size = buffer.readUInt32BE(at + 4);
      text.push(buffer.subarray(at + 8, at + 8 + size).toString('utf8'));
      at += 8 + size;
    }
    const out = text.join('').trimEnd();
    return out ? out.split('\n') : [];
  }

  /** The last lines of a container's log, indented, for a failure message. */
  async logTail(id: string, lines = 15): Promise<string> {
    return this.containerLog(id, lines).then(indented, (error: Error) => `    (no log: ${error.message})`);
  }

  /** The mesh directories of the stacks whose control plane runs on this engine. */
  async meshesRunning(): Promise<string[]> {
    const controls = await this.#docker.listContainers({ filters: { label: ['dev.localmesh.role=control'], status: ['running'] } });
    return controls.map((c) => meshDirOf({ labels: c.Labels })).filter((d): d is string => d !== undefined);
  }

  /** Follows the engine's events for a stack; one sentence each. Returns the stop function. */
  async watchEvents(project: string, say: (line: string) => void): Promise<() => void> {
    const streams = await Promise.all([
      this.#docker.getEvents({ filters: { type: ['container'], event: ['create', 'start', 'die'], label: [`${PROJECT_LABEL}=${project}`] } }),
      this.#docker.getEvents({ filters: { type: ['image'], event: ['tag'] } }),
    ]);
    for (const stream of streams) {
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString('utf8')).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          try {
            const sentence = describeEngineEvent(JSON.parse(line) as EngineEvent);
            if (sentence) say(sentence);
          } catch {
            // not an event: ignore
          }
        }
      });
      stream.on('error', () => undefined);
    }
    return () => {
      for (const stream of streams) (stream as unknown as { destroy(): void }).destroy();
    };
  }

  /** Calls `handler` with each container of the stack that stops (its id and Compose service); returns the stop function. */
  async onDie(project: string, handler: (id: string, service: string) => void): Promise<() => void> {
    const stream = await this.#docker.getEvents({ filters: { type: ['container'], event: ['die'], label: [`${PROJECT_LABEL}=${project}`] } });
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const event = JSON.parse(line) as EngineEvent;
          handler(event.Actor.ID, event.Actor.Attributes[SERVICE_LABEL] ?? '');
        } catch {
          // not an event
        }
      }
    });
    stream.on('error', () => undefined);
    return () => (stream as unknown as { destroy(): void }).destroy();
  }

  /** Whether a container runs (or the engine is restarting it); undefined when it is gone. */
  async containerStatus(id: string): Promise<{ running: boolean; restarting: boolean; exitCode: number; startedAt: string } | undefined> {
    return this.#docker
      .getContainer(id)
      .inspect()
      .then(
        (c) => ({ running: c.State.Running, restarting: c.State.Restarting, exitCode: c.State.ExitCode, startedAt: c.State.StartedAt }),
        () => undefined,
      );
  }

  async startContainer(id: string): Promise<void> {
    await this.#docker.getContainer(id).start();
  }

  async restartContainer(id: string): Promise<void> {
    await this.#docker.getContainer(id).restart({ t: 2 });
  }

  /** Waits until a container stops; its exit code. */
  async waitContainer(id: string): Promise<number> {
    const { StatusCode } = (await this.#docker.getContainer(id).wait()) as { StatusCode: number };
    return StatusCode;
  }

  /** The images of `names` this engine does not have. */
  async missingImages(names: readonly string[]): Promise<string[]> {
    const missing: string[] = [];
    for (const name of new Set(names)) {
      try {
        await this.#docker.getImage(name).inspect();
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) missing.push(name);
        else throw error;
      }
    }
    return missing;
  }

  /**
   * What stands in the way of the stack PROJECT of the Compose file in `workingDir`: containers or
   * networks with its names that belong to something else, or the same project run from another
   * directory. Sentences; none when the way is clear.
   */
  async clashes(project: string, workingDir: string): Promise<string[]> {
    const problems: string[] = [];
    const mine = (labels: Record<string, string> | undefined) => labels?.[PROJECT_LABEL] === project;
    const containers = await this.#docker.listContainers({ all: true });
    const prefix = new RegExp(`^/${project}[-_]`);
    const others = new Set<string>();
    for (const c of containers) {
      const name = c.Names.find((n) => prefix.test(n));
      const from = meshDirOf({ labels: c.Labels });
      if (mine(c.Labels) && from && from !== workingDir) others.add(from);
      else if (name && !mine(c.Labels)) {
        problems.push(`A container named ${name.slice(1)} exists and is not part of this mesh; remove it (docker rm -f ${name.slice(1)}) or rename the mesh (metadata.name).`);
      }
    }
    for (const dir of others) {
      problems.push(
        `A mesh with the same name (Compose project ${project}) runs from ${dir}; ` +
          `run mesh down there first, or give this mesh another metadata.name.`,
      );
    }
    const networks = await this.#docker.listNetworks({ filters: { name: [`${project}_default`] } });
    for (const n of networks) {
      if (n.Name === `${project}_default` && !mine(n.Labels)) {
        problems.push(`A network named ${n.Name} exists and is not part of this mesh; remove it (docker network rm ${n.Name}) or rename the mesh.`);
      }
    }
    return problems;
  }

  /** Removes what Compose left of a stack (containers, then networks); the names removed. */
  async removeStack(project: string): Promise<string[]> {
    const removed: string[] = [];
    for (const c of await this.stackContainers(project)) {
      await this.#docker.getContainer(c.id).remove({ force: true, v: true }).catch(() => undefined);
      removed.push(c.name);
    }
    for (const n of await this.stackNetworks(project)) {
      await this.#docker.getNetwork(n.id).remove().catch(() => undefined);
      removed.push(n.name);
    }
    return removed;
  }

  /** Runs the init image once, alone in a network namespace of its own: whether the engine grants NET_ADMIN. */
  async captureWorks(initImage: string): Promise<{ ok: boolean; log: string }> {
    const container = await this.#docker.createContainer({
      Image: initImage,
      Labels: { 'dev.localmesh.role': 'doctor' },
      HostConfig: { CapAdd: ['NET_ADMIN'], NetworkMode: 'none' },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      return { ok: StatusCode === 0, log: await this.logTail(container.id, 5) };
    } finally {
      await container.remove({ force: true }).catch(() => undefined);
    }
  }

  /** Pulls an image, each progress event to `onEvent`; rejects with the engine's error. */
  async pull(image: string, auth: AuthConfig | undefined, onEvent: (event: ProgressEvent) => void): Promise<void> {
    const stream = await this.#docker.pull(image, auth ? { authconfig: auth } : {});
    await this.#follow(stream, onEvent);
  }

  /** Builds one of localmesh's own images (the classic builder; its base must be there), progress to `onEvent`. */
  async build(image: OwnImage, labels: Record<string, string>, onEvent: (event: ProgressEvent) => void): Promise<void> {
    const context = { context: fileURLToPath(image.context), src: [...image.files] };
    const stream = await this.#docker.buildImage(context, { t: image.tag, dockerfile: image.dockerfile, labels, rm: true, forcerm: true });
    await this.#follow(stream, onEvent);
  }

  #follow(stream: NodeJS.ReadableStream, onEvent: (event: ProgressEvent) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      let failure: string | undefined;
      this.#docker.modem.followProgress(
        stream,
        (error: Error | null) => (error ? reject(error) : failure ? reject(new Error(failure)) : resolve()),
        (event: ProgressEvent) => {
          if (event.error) failure ??= event.error;
          onEvent(event);
        },
      );
    });
  }

  /** The engine's default registry, as Docker's credentials key it (`docker info`'s IndexServerAddress). */
  async indexServer(): Promise<string> {
    return ((await this.#docker.info()) as { IndexServerAddress: string }).IndexServerAddress;
  }

  /** The size of an image on this engine, in bytes; undefined when it is not there. */
  async imageSize(name: string): Promise<number | undefined> {
    return this.#docker.getImage(name).inspect().then((i) => i.Size, () => undefined);
  }

  /** Removes images by name; those that do not exist are skipped. */
  async removeImages(...names: string[]): Promise<void> {
    for (const name of names) await this.#docker.getImage(name).remove({ force: true }).catch(() => undefined);
  }
}

/** The mesh directory a container of a stack was started from (Compose's project directory: DIR; DIR/.mesh before). */
export function meshDirOf(c: { labels: Record<string, string> }): string | undefined {
  return c.labels[WORKDIR_LABEL]?.replace(/\/\.mesh$/, '');
}

export interface EngineEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes: Record<string, string> };
}

/** One progress line per event, e.g. `  reviews-v1-init exited (0)`; undefined for the others. */
export function describeEngineEvent(event: EngineEvent): string | undefined {
  const attributes = event.Actor.Attributes;
  if (event.Type === 'image' && event.Action === 'tag') return `  image ${attributes.name ?? event.Actor.ID} built`;
  if (event.Type !== 'container') return undefined;
  const service = attributes[SERVICE_LABEL] ?? attributes.name ?? event.Actor.ID.slice(0, 12);
  if (event.Action === 'create') return `  ${service} created`;
  if (event.Action === 'start') return `  ${service} started`;
  if (event.Action === 'die') return `  ${service} exited (${attributes.exitCode ?? '?'})`;
  return undefined;
}
