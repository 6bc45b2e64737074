// The `mesh` command line: parses arguments, dispatches to a command, returns the exit code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as validate from './commands/validate.ts';
import * as generate from './commands/generate.ts';
import * as weight from './commands/weight.ts';
import { EXIT, UsageError } from './output.ts';

const VERSION: string = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;

const HELP = `mesh — a local service mesh: Istio's model on a laptop, with Envoy sidecars.

Usage: mesh <command> [options]

Commands:
  validate [DIR]            check the mesh YAML in DIR; errors as FILE:LINE:COL
  generate [DIR] --out OUT  write one complete Envoy configuration per proxy
  weight HOST SUBSET=W...   set a route's traffic split in its YAML file (--dir DIR)

Options:
  -h, --help     show help (also after a command: mesh validate --help)
  -v, --version  show the version

DIR defaults to the current directory.`;

interface Command {
  help: string;
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'];
  /** The command takes arguments of its own; its directory is then `--dir DIR`. */
  args?: true;
  run(dir: string, values: Record<string, unknown>, args: string[]): Promise<number>;
}

const DIR_OPTION = { dir: { type: 'string', default: '.' } } as const;

const COMMANDS: Record<string, Command> = {
  validate: {
    help: validate.help,
    options: { json: { type: 'boolean', default: false } },
    run: (dir, values) => validate.run(dir, { json: values.json === true }),
  },
  generate: {
    help: generate.help,
    options: { out: { type: 'string' } },
    run: (dir, values) => {
      if (typeof values.out !== 'string') throw new UsageError('mesh generate needs --out OUT, the directory to write into.');
      return generate.run(dir, { out: values.out });
    },
  },
  weight: {
    help: weight.help,
    args: true,
    options: { ...DIR_OPTION, route: { type: 'string' } },
    run: (dir, values, args) => weight.run(dir, args, typeof values.route === 'string' ? { route: values.route } : {}),
  },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
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
    console.error(`mesh: unknown command '${name}'. Run mesh --help to see the commands.`);
    return EXIT.usage;
  }
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      strict: true,
      options: {
        ...command.options,
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
    if (values.help) {
      console.log(command.help);
      return EXIT.ok;
    }
    if (values.version) {
      console.log(VERSION);
      return EXIT.ok;
    }
    if (command.args) return await command.run(String((values as { dir?: string }).dir ?? '.'), values, positionals);
    if (positionals.length > 1) throw new UsageError(`mesh ${name} takes one directory, got ${positionals.length}.`);
    return await command.run(positionals[0] ?? '.', values, []);
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`mesh ${name}: ${(error as Error).message}\n\n${command.help}`);
      return EXIT.usage;
    }
    throw error;
  }
}
