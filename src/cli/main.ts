// The `mesh` command line: parses arguments, dispatches to a command, returns the exit code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Runtimes } from '../runtime/contract.ts';
import { DEFAULT_API } from '../control/client.ts';
import { LOCAL_ISSUER } from '../control/jwt-issuer.ts';
import { EXIT, UsageError } from './output.ts';
import { meshArgs, notOneMesh, NotADirectory } from './mesh-dir.ts';
import { nearest } from '../config/suggest.ts';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const HELP = `mesh — a local service mesh: Istio's model on a laptop, with Envoy sidecars.

Usage: mesh <command> [DIR] [arguments] [options]

Commands:
  up [DIR] [-d]                    run the mesh: control plane, Envoys, gateway and apps
  down [DIR] [-v]                  stop what mesh up started
  status [DIR] [--json]            containers or processes, proxy sync, current diagnostics
  logs [DIR] [NAME] [-f]           the logs of a mesh run by mesh up, or of one service of it
  dashboard [DIR]                  the terminal UI on a running mesh: services, routes, traffic, logs
  ui [DIR]                         the web view in your browser: routes and sliders, traffic, tap
  load [DIR] [URL] --rps N         send requests at a fixed rate; counts by version, status, latency
  weight [DIR] HOST SUBSET=W...    set a route's traffic split in its YAML file
  proxy-status [DIR]               each proxy's xDS sync state (SYNCED, STALE, NOT SENT, NACK)
  proxy-config [DIR] PROXY [TYPE]  the listeners, routes, clusters, endpoints a proxy is served
  tap [DIR] [SERVICE[/VERSION]]    the requests the proxies serve, live (--path, --status 5xx, -o json)
  traces [DIR] [TRACE_ID]          recent traces (--service, --min-duration), one as a waterfall; --export FILE: OTLP JSON
  graph [DIR] [--window 10s]       who calls whom: edges with requests/s, error rate, p99 (-o json)
  control [DIR]                    run the control plane: watch, validate, compile, push over xDS
  validate [DIR] [--json] [--analyze]  check the mesh YAML in DIR; errors as FILE:LINE:COL; --analyze: Istio's checks and codes
  test [DIR] [FILES...] [--live]   routing assertions (*.test.yaml) against the compiled config
  generate [DIR] --out OUT         write one complete Envoy configuration per proxy
  export kubernetes [DIR] --out OUT
                                   write the Namespaces, Deployments, Services and Istio files for a cluster
  token [DIR] [--sub SUB]          a test JWT from the mesh's local issuer; --print-jwks: its keys
  doctor [DIR]                     check Docker, Compose, images, NET_ADMIN, ports, names

Options:
  -h, --help     show help (also after a command: mesh validate --help)
  -v, --version  show the version

DIR is the mesh directory, for every command: the first argument, or --dir DIR anywhere; it
defaults to the current directory. In a terminal, plain \`mesh\` opens the dashboard when a mesh
runs in the current directory.`;

type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>['options']>;

/** The registered runtimes (runtime/registry.ts), made when a command first asks for them. */
type RuntimesOf = () => Promise<Runtimes>;

/**
 * A command of the table below. Its module is loaded only when it runs or its help is asked:
 * `mesh control` does not carry the dashboard's ink, and `mesh validate` not Docker's client.
 */
interface Command<M extends { help: string } = { help: string }> {
  load(): Promise<M>;
  options: Options;
  /** The command takes arguments of its own after DIR (mesh logs [DIR] [NAME]). */
  args?: true;
  /** What the command's first argument names before DIR (mesh export kubernetes [DIR]): handed to run as args[0]. */
  targets?: readonly string[];
  /** The command reads the mesh: DIR must be one mesh (not none, not several in subfolders). */
  reads?: true;
  run(module: M, dir: string, values: Record<string, unknown>, args: string[], runtimes: RuntimesOf): Promise<number>;
}

function command<M extends { help: string }>(load: () => Promise<M>, spec: Omit<Command<M>, 'load'>): Command<M> {
  return { load, ...spec };
}

const COMMANDS: Record<string, Command<any>> = {
  validate: command(() => import('./commands/validate.ts'), {
    reads: true,
    options: { json: { type: 'boolean', default: false }, analyze: { type: 'boolean', default: false } },
    run: async (m, dir, values) => m.run(dir, { json: values.json === true, analyze: values.analyze === true }),
  }),
  test: command(() => import('./commands/test.ts'), {
    args: true,
    reads: true,
    options: { json: { type: 'boolean', default: false }, live: { type: 'boolean', default: false } },
    run: async (m, dir, values, args, runtimes) => m.run(dir, args, { json: values.json === true, live: values.live === true }, await runtimes()),
  }),
  generate: command(() => import('./commands/generate.ts'), {
    reads: true,
    options: { out: { type: 'string' } },
    run: async (m, dir, values) => {
      if (typeof values.out !== 'string') throw new UsageError('mesh generate needs --out OUT, the directory to write into.');
      return m.run(dir, { out: values.out });
    },
  }),
  export: command(() => import('./commands/export.ts'), {
    targets: ['kubernetes'], // known before the module loads (cli/commands/export.ts)
    reads: true,
    options: { out: { type: 'string' } },
    run: async (m, dir, values, args) => {
      if (typeof values.out !== 'string') throw new UsageError('mesh export needs --out OUT, the directory to write into.');
      return m.run(dir, { out: values.out });
    },
  }),
  canary: command(() => import('./commands/canary.ts'), {
    args: true,
    reads: true,
    options: {
      to: { type: 'string' },
      from: { type: 'string' },
      steps: { type: 'string' },
      interval: { type: 'string' },
      threshold: { type: 'string' },
      'max-error-rate': { type: 'string' },
      'max-p99': { type: 'string' },
      'min-requests': { type: 'string' },
      load: { type: 'string' },
      'no-load': { type: 'boolean', default: false },
      rps: { type: 'string' },
      webhook: { type: 'string', multiple: true, default: [] },
      route: { type: 'string' },
      json: { type: 'boolean', default: false },
      pause: { type: 'boolean', default: false },
      resume: { type: 'boolean', default: false },
      promote: { type: 'boolean', default: false },
      abort: { type: 'boolean', default: false },
    },
    run: async (m, dir, values, args, runtimes) => {
      const commands = (['pause', 'resume', 'promote', 'abort'] as const).filter((c) => values[c] === true);
      if (commands.length > 1) throw new UsageError(`--${commands.join(' and --')}: give one.`);
      const str = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
      return m.run(
        dir,
        args,
        {
          ...(str('to') ? { to: str('to') } : {}),
          ...(str('from') ? { from: str('from') } : {}),
          ...(str('steps') !== undefined ? { steps: str('steps') } : {}),
          ...(str('interval') !== undefined ? { interval: str('interval') } : {}),
          ...(str('threshold') !== undefined ? { threshold: str('threshold') } : {}),
          ...(str('max-error-rate') !== undefined ? { maxErrorRate: str('max-error-rate') } : {}),
          ...(str('max-p99') ? { maxP99: str('max-p99') } : {}),
          ...(str('min-requests') !== undefined ? { minRequests: str('min-requests') } : {}),
          ...(str('load') ? { load: str('load') } : {}),
          noLoad: values['no-load'] === true,
          ...(str('rps') ? { rps: str('rps') } : {}),
          webhooks: values.webhook as string[],
          ...(str('route') ? { route: str('route') } : {}),
          json: values.json === true,
          ...(commands[0] ? { command: commands[0] } : {}),
        },
        await runtimes(),
      );
    },
  }),
  weight: command(() => import('./commands/weight.ts'), {
    args: true,
    reads: true,
    options: { route: { type: 'string' } },
    run: async (m, dir, values, args) => m.run(dir, args, typeof values.route === 'string' ? { route: values.route } : {}),
  }),
  up: command(() => import('./commands/up.ts'), {
    reads: true,
    options: {
      runtime: { type: 'string' }, detach: { type: 'boolean', short: 'd', default: false }, poll: { type: 'boolean', default: false },
      pull: { type: 'string' }, watch: { type: 'boolean', default: false },
    },
    run: async (m, dir, values, _args, runtimes) =>
      m.run(
        dir,
        {
          detach: values.detach === true,
          poll: values.poll === true,
          watch: values.watch === true,
          ...(typeof values.runtime === 'string' ? { runtime: values.runtime } : {}),
          ...(typeof values.pull === 'string' ? { pull: values.pull } : {}),
        },
        await runtimes(),
      ),
  }),
  down: command(() => import('./commands/down.ts'), {
    options: { volumes: { type: 'boolean', short: 'v', default: false } },
    run: async (m, dir, values, _args, runtimes) => m.run(dir, { volumes: values.volumes === true }, await runtimes()),
  }),
  status: command(() => import('./commands/status.ts'), {
    options: { json: { type: 'boolean', default: false } },
    run: async (m, dir, values, _args, runtimes) => m.run(dir, { json: values.json === true }, await runtimes()),
  }),
  doctor: command(() => import('./commands/doctor.ts'), { options: {}, run: async (m, dir, _values, _args, runtimes) => m.run(dir, await runtimes()) }),
  logs: command(() => import('./commands/logs.ts'), {
    args: true,
    options: { follow: { type: 'boolean', short: 'f', default: false } },
    run: async (m, dir, values, args, runtimes) => m.run(dir, args, { follow: values.follow === true }, await runtimes()),
  }),
  control: command(() => import('./commands/control.ts'), {
    options: {
      'xds-port': { type: 'string', default: '15010' },
      'api-port': { type: 'string', default: '15080' },
      bind: { type: 'string', default: '127.0.0.1' },
      poll: { type: 'boolean', default: false },
      addressing: { type: 'string', default: 'compose' },
    },
    run: async (m, dir, values) => {
      const [xdsPort, apiPort, bind, addressing] = ['xds-port', 'api-port', 'bind', 'addressing'].map((k) => String(values[k]));
      return m.run(dir, { xdsPort: xdsPort!, apiPort: apiPort!, bind: bind!, poll: values.poll === true, addressing: addressing! });
    },
  }),
  'proxy-status': command(() => import('./commands/proxy-status.ts'), {
    options: { api: { type: 'string' } },
    run: async (m, dir, values, _args, runtimes) => m.run({ api: await apiOf(dir, values, runtimes) }),
  }),
  'proxy-config': command(() => import('./commands/proxy-config.ts'), {
    args: true,
    options: { api: { type: 'string' }, output: { type: 'string', short: 'o' } },
    run: async (m, dir, values, args, runtimes) => m.run(args, { api: await apiOf(dir, values, runtimes), output: values.output as string | undefined }),
  }),
  tap: command(() => import('./commands/tap.ts'), {
    args: true,
    options: {
      api: { type: 'string' },
      path: { type: 'string' },
      status: { type: 'string' },
      header: { type: 'string', short: 'H', multiple: true, default: [] },
      output: { type: 'string', short: 'o' },
      recent: { type: 'boolean', default: false },
      count: { type: 'string' },
      'max-rate': { type: 'string' },
    },
    run: async (m, dir, values, args, runtimes) => {
      if (args.length > 1) throw new UsageError(`mesh tap takes one SERVICE[/VERSION], not ${args.join(' ')}.`);
      const text = (k: string) => (typeof values[k] === 'string' ? { [k === 'max-rate' ? 'maxRate' : k]: values[k] as string } : {});
      return m.run({
        api: await apiOf(dir, values, runtimes),
        ...(args[0] ? { target: args[0] } : {}),
        ...text('path'), ...text('status'), ...text('output'), ...text('count'), ...text('max-rate'),
        header: values.header as string[],
        recent: values.recent === true,
      });
    },
  }),
  traces: command(() => import('./commands/traces.ts'), {
    args: true,
    options: {
      api: { type: 'string' },
      service: { type: 'string' },
      'min-duration': { type: 'string' },
      limit: { type: 'string' },
      output: { type: 'string', short: 'o' },
      export: { type: 'string' },
    },
    run: async (m, dir, values, args, runtimes) => {
      if (args.length > 1) throw new UsageError(`mesh traces takes one TRACE_ID, not ${args.join(' ')}.`);
      const text = (k: string, as = k) => (typeof values[k] === 'string' ? { [as]: values[k] as string } : {});
      return m.run({
        api: await apiOf(dir, values, runtimes),
        ...(args[0] ? { id: args[0] } : {}),
        ...text('service'), ...text('min-duration', 'minDuration'), ...text('limit'), ...text('output'), ...text('export'),
      });
    },
  }),
  graph: command(() => import('./commands/graph.ts'), {
    options: { api: { type: 'string' }, window: { type: 'string' }, by: { type: 'string' }, output: { type: 'string', short: 'o' } },
    run: async (m, dir, values, _args, runtimes) => {
      const text = (k: 'window' | 'by' | 'output') => (typeof values[k] === 'string' ? { [k]: values[k] as string } : {});
      return m.run({ api: await apiOf(dir, values, runtimes), ...text('window'), ...text('by'), ...text('output') });
    },
  }),
  dashboard: command(() => import('./commands/dashboard.ts'), {
    options: { api: { type: 'string' } },
    run: async (m, dir, values, _args, runtimes) => m.run(dir, typeof values.api === 'string' ? { api: values.api } : {}, await runtimes()),
  }),
  ui: command(() => import('./commands/ui.ts'), {
    options: { api: { type: 'string' }, 'no-open': { type: 'boolean', default: false } },
    run: async (m, dir, values, _args, runtimes) => m.run(dir, { api: await apiOf(dir, values, runtimes), open: values['no-open'] !== true }),
  }),
  // Hidden (not in HELP): started by `mesh up -d` for a runtime that restarts what crashes.
  supervise: command(async () => ({
    help: 'Usage: mesh supervise DIR\n\nStarted by mesh up -d: restarts crashed processes (process runtime) or stopped containers (Compose runtime) until mesh down DIR.',
  }), {
    options: {},
    run: async (_m, dir, _values, _args, runtimes) => {
      const run = await (await runtimes()).running(dir);
      if (!run?.runtime.supervise) {
        console.error(`mesh supervise: no mesh that needs a supervisor runs in ${dir} (mesh up -d ${dir} starts one).`);
        return EXIT.invalid;
      }
      return run.runtime.supervise(dir);
    },
  }),
  token: command(() => import('./commands/token.ts'), {
    options: {
      sub: { type: 'string', default: 'dev' },
      aud: { type: 'string', multiple: true, default: [] },
      claims: { type: 'string', multiple: true, default: [] },
      expires: { type: 'string', default: '1h' },
      issuer: { type: 'string', default: LOCAL_ISSUER },
      'print-jwks': { type: 'boolean', default: false },
    },
    run: async (m, dir, values) =>
      m.run(dir, {
        sub: String(values.sub),
        aud: values.aud as string[],
        claims: values.claims as string[],
        expires: String(values.expires),
        issuer: String(values.issuer),
        printJwks: values['print-jwks'] === true,
      }),
  }),
  load: command(() => import('./commands/load.ts'), {
    args: true,
    options: {
      rps: { type: 'string', default: '50' },
      duration: { type: 'string', default: '5s' },
      concurrency: { type: 'string', short: 'c', default: '32' },
      header: { type: 'string', short: 'H', multiple: true, default: [] },
      json: { type: 'boolean', default: false },
    },
    run: async (m, dir, values, args, runtimes) =>
      m.run(dir, args, {
        rps: String(values.rps),
        duration: String(values.duration),
        concurrency: String(values.concurrency),
        header: values.header as string[],
        json: values.json === true,
      }, await runtimes()),
  }),
};

/** --api URL, else the control plane of the mesh running in DIR, else the default address. */
async function apiOf(dir: string, values: Record<string, unknown>, runtimes: RuntimesOf): Promise<string> {
  if (typeof values.api === 'string') return values.api;
  return (await (await runtimes()).running(dir))?.state.api ?? DEFAULT_API;
}

/** The options a command takes, as a user writes them: --json, -d/--detach. */
function optionNames(options: Options): string[] {
  return Object.entries(options).map(([name, o]) => (o.short ? `-${o.short}/--${name}` : `--${name}`));
}

/** parseArgs's error about an option as a sentence with a hint. */
function optionProblem(name: string, options: Options, error: Error & { code?: string }): string {
  const all = optionNames(options).join(', ');
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const given = /Unknown option '([^']+)'/.exec(error.message)?.[1] ?? '?';
    const guess = nearest(given.replace(/^-+/, ''), Object.keys(options));
    return `Unknown option '${given}'${guess ? `; did you mean --${guess}?` : '.'} mesh ${name} takes ${all}.`;
  }
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(error.message);
  if (missing) return `${missing[1]} needs a value: ${missing[1]} ${missing[1] === '--dir' ? 'DIR' : missing[1]!.slice(2).toUpperCase()}.`;
  const noValue = /Option '(?:-\w, )?(--[\w-]+)' does not take an argument/.exec(error.message);
  if (noValue) return `${noValue[1]} takes no value: write ${noValue[1]} alone.`;
  return error.message;
}

/** The usage line of a command's help and where to read the rest. */
const usageOf = (name: string, help: string) => `${help.split('\n')[0]}\n(mesh ${name} --help shows every option.)`;

/**
 * The composition root: `runtimes` are the registered ones (runtime/registry.ts) unless given,
 * made once here, when a command first asks, and handed to every command.
 */
export async function main(argv: string[], given?: Runtimes): Promise<number> {
  let made: Promise<Runtimes> | undefined;
  const runtimes: RuntimesOf = () =>
    (made ??= given ? Promise.resolve(given) : import('../runtime/registry.ts').then((r) => new Runtimes(r.registeredRuntimes())));
  const [name, ...rest] = argv;
  if (name === undefined && process.stdout.isTTY) {
    const dashboard = await import('./commands/dashboard.ts');
    if (await dashboard.meshRunsIn('.', await runtimes())) return dashboard.run('.', {}, await runtimes());
  }
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    console.log(HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '-v' || name === '--version') {
    console.log(VERSION);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    const guess = nearest(name, Object.keys(COMMANDS));
    console.error(`mesh: unknown command '${name}'${guess ? `; did you mean mesh ${guess}?` : '.'} Run mesh --help to see the commands.`);
    return EXIT.usage;
  }
  const options: Options = {
    dir: { type: 'string' },
    ...command.options,
    help: { type: 'boolean', short: 'h' },
    // A command's own -v (mesh down -v) wins; --version still works there.
    version: Object.values(command.options).some((o) => o.short === 'v') ? { type: 'boolean' } : { type: 'boolean', short: 'v' },
  };
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, allowPositionals: true, strict: true, options });
    } catch (error) {
      if (!(error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) throw error;
      throw new UsageError(optionProblem(name, options, error as Error));
    }
    const { values, positionals } = parsed;
    if (values.help) {
      console.log((await command.load()).help);
      return EXIT.ok;
    }
    if (values.version) {
      console.log(VERSION);
      return EXIT.ok;
    }
    const flag = typeof values.dir === 'string' ? values.dir : undefined;
    // A command with targets takes its target first; DIR follows it.
    const target = command.targets ? positionals[0] : undefined;
    if (command.targets && (target === undefined || !command.targets.includes(target))) {
      throw new UsageError(target === undefined ? `mesh ${name} needs what to ${name} to first: ${command.targets.join(' or ')}.` : `mesh ${name} knows ${command.targets.join(', ')}, not '${target}'.`);
    }
    const { dir, args: own } = await meshArgs(name, flag, command.targets ? positionals.slice(1) : positionals, command.args === true);
    const args = target === undefined ? own : [target, ...own];
    if (command.reads) {
      const problem = await notOneMesh(name, dir);
      if (problem) {
        console.error(`mesh ${name}: ${problem}`);
        return EXIT.invalid;
      }
    }
    return await command.run(await command.load(), dir, values, args, runtimes);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`mesh ${name}: ${error.message}\n${usageOf(name, (await command.load()).help)}`);
      return EXIT.usage;
    }
    if (error instanceof NotADirectory) {
      console.error(`mesh ${name}: ${error.message}`);
      return EXIT.invalid;
    }
    throw error;
  }
}
