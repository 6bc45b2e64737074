// Engine problems as sentences: Docker not running, Compose missing, a port in use, an image
// that cannot be pulled (or may not be: --pull never), a name taken by something else; and mesh doctor.
import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultImages } from '../../src/compose/images.ts';
import { cleanUp, copyExample, docker, leftovers, mesh, meshWith, type Example } from './harness.ts';

let example: Example | undefined;

beforeAll(async () => {
  example = await copyExample('canary', 'problems');
});
afterAll(() => cleanUp(example), 120_000);

describe('engine problems', () => {
  it('mesh doctor checks the engine, Compose, images, NET_ADMIN, ports and names', async () => {
    const doctor = await mesh('doctor', example!.dir);
    expect(doctor.code, doctor.stdout).toBe(0);
    expect(doctor.stdout).toMatch(/^ok {4}Docker engine answers\.$/m);
    expect(doctor.stdout).toMatch(/^ok {4}NET_ADMIN is granted/m);
    expect(doctor.stdout).toContain(`ok    Port ${example!.gatewayPort} (the gateway's port 80) is free on 127.0.0.1.`);
  });

  it('Docker not running', async () => {
    const up = await meshWith({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 'up', '--runtime', 'docker', '-d', example!.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('Docker is not running');
    const doctor = await meshWith({ DOCKER_HOST: 'unix:///nonexistent/docker.sock' }, 'doctor', example!.dir);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toContain('FAIL  Docker is not running');
  });

  it('Compose missing', async () => {
    const up = await meshWith({ PATH: '/nonexistent', LOCALMESH_COMPOSE: '' }, 'up', '--runtime', 'docker', '-d', example!.dir);
    expect(up.code).toBe(1);
    expect(up.stderr).toContain('Docker Compose is not installed: neither `docker compose` (v2, the CLI plugin) nor `docker-compose` (v1) runs.');
  });

  it('an image that no registry has: the pull fails with a sentence, nothing is started', async () => {
    const up = await meshWith({ LOCALMESH_ENVOY_IMAGE: 'localmesh/envoy:not-built' }, 'up', '--runtime', 'docker', '-d', example!.dir);
    expect(up.code).toBe(1);
    expect(up.stdout).toContain('Pulling localmesh/envoy:not-built');
    expect(up.stderr).toMatch(/mesh up: (Pulling localmesh\/envoy:not-built (failed|was refused)|The image localmesh\/envoy:not-built does not exist)/);
    expect(up.stderr).not.toMatch(/^\s+at /m);
    expect(await leftovers(example!.project)).toEqual([]);
  });

  it('--pull never with an image missing: a sentence, no pull', async () => {
    const up = await meshWith({ LOCALMESH_ENVOY_IMAGE: 'localmesh/envoy:not-built' }, 'up', '--runtime', 'docker', '-d', '--pull', 'never', example!.dir);
    expect(up.code).toBe(1);
    expect(up.stdout).not.toContain('Pulling');
    expect(up.stderr).toContain('The image localmesh/envoy:not-built is not on this machine and --pull never forbids pulling it');
    const bad = await mesh('up', '--runtime', 'docker', '-d', '--pull', 'sometimes', example!.dir);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pull is missing, always or never, not sometimes.');
  });

  it('the gateway port in use', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(example!.gatewayPort, '127.0.0.1', resolve));
    try {
      const up = await mesh('up', '--runtime', 'docker', '-d', example!.dir);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`Port ${example!.gatewayPort} (the gateway's port 80) is in use on 127.0.0.1`);
    } finally {
      server.close();
    }
  });

  it('a container of something else under a name of the stack', async () => {
    const name = `${example!.project}-mesh-control-1`;
    const other = await docker.createContainer({ Image: defaultImages().node, name, Cmd: ['node', '-e', '0'] });
    try {
      const up = await mesh('up', '--runtime', 'docker', '-d', example!.dir);
      expect(up.code).toBe(1);
      expect(up.stderr).toContain(`A container named ${name} exists and is not part of this mesh`);
      const doctor = await mesh('doctor', example!.dir);
      expect(doctor.stdout).toContain(`FAIL  A container named ${name} exists`);
    } finally {
      await other.remove({ force: true });
    }
  });
});
