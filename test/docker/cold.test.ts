// A laptop's first `mesh up`: an engine that holds none of the stack's images. mesh up pulls the
// official ones (here through the engine's registry mirror, which stands in for Docker Hub) with
// a line per image and layer, builds localmesh/init from its Dockerfile on the official Debian
// image, and serves the 90/10 canary through the gateway.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { binomialCheck, sendMany } from '../helpers/traffic.ts';
import { cleanUp, copyExample, engine, mesh, type Example, type Run } from './harness.ts';

let example: Example | undefined;
let up: Run;
let seconds = 0;
const images = defaultImages();

beforeAll(async () => {
  example = await copyExample('canary', 'cold');
  await engine.removeImages(images.envoy, images.node, images.init, 'debian:bookworm-slim');
  expect(await engine.missingImages([images.envoy, images.node, images.init, 'debian:bookworm-slim'])).toHaveLength(4);
  const started = performance.now();
  up = await mesh('up', '--runtime', 'docker', '-d', example.dir);
  seconds = (performance.now() - started) / 1000;
  console.info(`cold mesh up -d: ${seconds.toFixed(1)} s`);
}, 400_000);
afterAll(() => cleanUp(example), 120_000);

describe('mesh up -d on an engine without the images', () => {
  it('pulls the official images with progress per image and layer, and builds localmesh/init', () => {
    expect(up.code, up.stdout + up.stderr).toBe(0);
    for (const image of [images.node, images.envoy, 'debian:bookworm-slim']) {
      expect(up.stdout).toContain(`Pulling ${image}\n`);
      expect(up.stdout).toMatch(new RegExp(`^  ${image.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: (layer \\S+ (done|already here)|pulled)`, 'm'));
    }
    expect(up.stdout).toContain(`Building ${images.init} (localmesh's own image, from templates/docker/init.Dockerfile on debian:bookworm-slim)`);
    expect(up.stdout).toMatch(/^ {2}Step 2\/\d+ : RUN apt-get update/m);
    expect(up.stdout).toMatch(new RegExp(`^  ${images.init.replace('/', '\\/')}: built \\(\\d+\\.\\d MB\\)`, 'm'));
  });

  it('serves the 90/10 split through the gateway', async () => {
    const tally = await sendMany(600, { port: example!.gatewayPort }, 8);
    expect(tally.byStatus[200], tally.summary).toBe(600);
    const check = binomialCheck(tally.byVersion.v2 ?? 0, 600, 0.1);
    expect(check.ok, `${check.message}; ${tally.summary}`).toBe(true);
  });

  it('the next mesh up -d, with every image there, pulls and builds nothing', async () => {
    expect((await mesh('down', example!.dir)).code).toBe(0);
    const again = await mesh('up', '--runtime', 'docker', '-d', example!.dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/^(Pulling|Building) /m);
  });
});
