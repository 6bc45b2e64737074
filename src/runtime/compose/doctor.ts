// `mesh doctor`: every engine problem the Compose runtime can meet, checked up front and said as
// a sentence — Docker not running, Compose missing, what mesh up will pull or build, NET_ADMIN
// refused, ports in use, names taken by something else.
import { resolve } from 'node:path';
import { gatewayHostPorts, gatewayPortText, type MeshModel } from '../../config/model.ts';
import { ownImages, resolveImages } from '../../compose/images.ts';
import { projectName } from '../../compose/names.ts';
import { CONTROL_PORTS } from '../../compose/stack.ts';
import type { Check } from '../contract.ts';
import { portFree } from '../ports.ts';
import { findCompose } from './cli.ts';
import { dockerAnswers } from './docker.ts';
import type { Engine } from './engine.ts';
import { imagePlan } from './images.ts';
import { readComposeState, meshStateDir } from './state.ts';

const ok = (text: string): Check => ({ level: 'ok', text });
const warn = (text: string): Check => ({ level: 'warn', text });
const fail = (text: string): Check => ({ level: 'fail', text });

export async function doctor(engine: Engine, dir: string, model: MeshModel | undefined, env: Record<string, string | undefined> = process.env): Promise<Check[]> {
  const checks: Check[] = [];
  if (!(await dockerAnswers(env))) {
    return [fail(`Docker is not running: no engine answers at ${env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}. Start Docker (scripts/docker/setup starts dockerd), or use mesh up --runtime process.`)];
  }
  checks.push(ok('Docker engine answers.'));

  for (const variant of ['v2', 'v1'] as const) {
    const cli = await findCompose({ LOCALMESH_COMPOSE: variant }).catch(() => undefined);
    checks.push(cli ? ok(`Compose ${variant}: ${cli.command.join(' ')} ${cli.version}.`) : warn(`Compose ${variant} (${variant === 'v2' ? 'docker compose' : 'docker-compose'}) is not installed.`));
  }
  const chosen = await findCompose(env).then((cli) => ok(`mesh up will use ${cli.command.join(' ')}.`), (e: Error) => fail(e.message));
  checks.push(chosen);

  const images = resolveImages(model?.settings ?? {}, env);
  const own = ownImages(images);
  const plan = await imagePlan(engine, { images: [images.envoy, images.node, ...(own.length ? [] : [images.init])], own });
  const sizes = await Promise.all(plan.present.map(async (i) => `${i} (${(((await engine.imageSize(i)) ?? 0) / 1e6).toFixed(0)} MB)`));
  if (plan.present.length) checks.push(ok(`Images present: ${sizes.join(', ')}.`));
  if (plan.pull.length) checks.push(warn(`mesh up will pull ${plan.pull.join(', ')} (its registry says how big as the pull starts; mesh up shows each layer).`));
  if (plan.build.length) checks.push(warn(`mesh up will build ${plan.build.join(', ')} from templates/docker/ (apt-get install iptables on debian:bookworm-slim: about 4 MB over its base).`));
  if (plan.present.includes(images.init)) {
    const capture = await engine.captureWorks(images.init).catch((e: Error) => ({ ok: false, log: `    ${e.message}` }));
    checks.push(
      capture.ok
        ? ok('NET_ADMIN is granted: the capture rules install (iptables in a container of its own).')
        : fail(`No NET_ADMIN: the init container could not install the capture rules (rootless Docker or a restricted runtime?); use --runtime process.\n${capture.log}`),
    );
  }

  const running = model ? await readComposeState(dir) : undefined;
  if (!(await portFree(CONTROL_PORTS.api))) checks.push(warn(`Port ${CONTROL_PORTS.api} (the control plane's API) is in use on 127.0.0.1; mesh up will publish the API on a free port.`));
  if (model && !running) {
    const address = model.settings.gateway?.address ?? '127.0.0.1';
    for (const published of gatewayHostPorts(model)) {
      const { whose, remedy } = gatewayPortText(published);
      checks.push(
        (await portFree(published.hostPort, address))
          ? ok(`Port ${published.hostPort} (${whose}) is free on ${address}.`)
          : fail(`Port ${published.hostPort} (${whose}) is in use on ${address}; stop what listens there, or ${remedy}.`),
      );
    }
  }
  if (model) {
    const project = projectName(model.name);
    const problems = await engine.clashes(project, resolve(dir));
    checks.push(...(problems.length ? problems.map(fail) : [ok(`No container or network of another stack uses the names of ${project}.`)]));
    if (running) checks.push(ok(`The mesh runs (Compose project ${running.project}); mesh status ${dir} shows it.`));
  }
  return checks;
}
