// Whether a Docker engine answers: its socket's /_ping (DOCKER_HOST's unix socket, else the
// default one), or `docker info` when DOCKER_HOST names something else.
import { http } from '../../control/node-http.ts';
import { execa } from 'execa';

const DEFAULT_SOCKET = '/var/run/docker.sock';

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.request({ socketPath, path: '/_ping', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export async function dockerAnswers(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const host = env.DOCKER_HOST;
  if (!host || host.startsWith('unix://')) return ping(host ? host.slice('unix://'.length) : DEFAULT_SOCKET);
  const result = await execa('docker', ['info', '--format', '{{.ServerVersion}}'], { reject: false, timeout: 5000 });
  return result.exitCode === 0;
}
