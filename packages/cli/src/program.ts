/**
 * The `safemesh` command line (SPEC §10). `runCli` parses, runs one command and returns its exit
 * code; it never exits the process, so tests run it in-process against a fake network.
 */
import { Command, CommanderError, Option } from 'commander'
import type { ActionContext } from './action-context.js'
import { CliClients } from './clients.js'
import { EXIT_OK, EXIT_USAGE } from './exit-codes.js'
import { UsageError } from './usage-error.js'
import type { CliIo } from './io.js'
import { Output } from './output.js'
import { parseInteger } from './arguments.js'
import { registerAccount } from './commands/account.js'
import { registerApps } from './commands/apps.js'
import { registerFiles } from './commands/files.js'
import { registerFs } from './commands/fs.js'
import { registerKeys } from './commands/keys.js'
import { registerMd } from './commands/md.js'
import { registerId } from './commands/id.js'
import { registerInbox } from './commands/inbox.js'
import { registerShare } from './commands/share.js'
import { registerDns } from './commands/dns.js'
import { registerWeb } from './commands/web.js'
import { registerGateway } from './commands/gateway.js'
import type { ActionHandler } from './program-types.js'

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

interface GlobalOptions {
  network?: string
  bootstrap: string[]
  groupSize?: string
  salt?: string
  json?: boolean
  logLevel: string
  timeout?: string
}

export async function runCli (io: CliIo): Promise<number> {
  // Known before commander parses, so that even a usage error comes out as JSON.
  const out = new Output(io, io.argv.includes('--json'))
  let clients: CliClients | undefined
  let ctx: ActionContext | undefined

  const run = (handler: ActionHandler) => async (...args: unknown[]): Promise<void> => {
    const command = args.at(-1) as Command
    const globals = command.optsWithGlobals<GlobalOptions>()
    clients = new CliClients(io, {
      bootstrap: globals.bootstrap,
      logLevel: globals.logLevel,
      ...(globals.network !== undefined ? { network: globals.network } : {}),
      ...(globals.groupSize !== undefined ? { groupSize: parseInteger(globals.groupSize, '--group-size') } : {}),
      ...(globals.salt !== undefined ? { salt: globals.salt } : {}),
      ...(globals.timeout !== undefined ? { timeout: parseInteger(globals.timeout, '--timeout') } : {})
    })
    ctx = { io, out, clients, stdoutInUse: false, ...(io.signal != null ? { signal: io.signal } : {}) }
    // commander passes the positional arguments, then the command's options (when it has any), then itself.
    const positional = args.slice(0, command.registeredArguments.length)
    const rest = command.options.length > 0 ? [command.opts()] : []
    await handler(ctx, ...([...positional, ...rest] as never[]))
  }

  const program = buildProgram(io, run)
  try {
    await program.parseAsync([...io.argv], { from: 'user' })
    return EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK
      // A command that needs a subcommand was given none: commander showed its help.
      if (err.code === 'commander.help') return out.json ? out.error(new UsageError('a command is needed (see --help)')) : EXIT_USAGE
    }
    return out.error(err, ctx?.stdoutInUse ?? false)
  } finally {
    await clients?.closeAll()
  }
}

function collect (value: string, previous: string[]): string[] {
  return [...previous, value]
}

function buildProgram (io: CliIo, run: (handler: ActionHandler) => (...args: unknown[]) => Promise<void>): Command {
  const program = new Command('safemesh')
    .description('The SafeMesh client: store files and MutableData on a SafeMesh network.')
    .option('--network <FILE>', 'the network file (default: $SAFEMESH_NETWORK, else ./.testnet/network.json)')
    .option('--bootstrap <MULTIADDR>', 'join through this node instead of a network file (repeatable)', collect, [])
    .option('--group-size <G>', 'the network\'s close group size, with --bootstrap (default 8)')
    .option('--salt <HEX>', 'the network\'s login salt, with --bootstrap (network.json\'s "salt"; without it, a shared fallback)')
    .option('--json', 'print exactly one JSON object on stdout')
    .addOption(new Option('--log-level <LEVEL>', 'log level (logs go to stderr)').choices(LOG_LEVELS).default('warn'))
    .option('--timeout <MS>', 'how long to wait for one node\'s answer (default 20000)')
    .addHelpText('after', [
      '',
      'Credentials: $SAFEMESH_SECRET and $SAFEMESH_PASSWORD (asked for on a terminal);',
      '$SAFEMESH_APP (printed by `app auth`) acts as that app.',
      'Exit codes: 0 ok, 2 bad usage, 3 the network refused (its error code is printed), 1 anything else.'
    ].join('\n'))
  configure(program, io)
  registerAccount(program, run)
  registerFiles(program, run)
  registerFs(program, run)
  registerMd(program, run)
  registerApps(program, run)
  registerKeys(program, run)
  registerId(program, run)
  registerShare(program, run)
  registerInbox(program, run)
  registerDns(program, run)
  registerWeb(program, run)
  registerGateway(program, run)
  for (const command of allCommands(program)) configure(command, io)
  return program
}

function configure (command: Command, io: CliIo): void {
  command
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => { io.stdout.write(text) },
      writeErr: (text) => { io.stderr.write(text) },
      // commander's own message goes to stderr; runCli prints the result (JSON included).
      outputError: (text, write) => { write(text) }
    })
}

function allCommands (command: Command): Command[] {
  return command.commands.flatMap(c => [c, ...allCommands(c)])
}
