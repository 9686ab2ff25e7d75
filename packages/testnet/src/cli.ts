import { Command, InvalidArgumentError } from 'commander'
import { rm } from 'node:fs/promises'
import { Testnet, type NodeView } from './testnet.js'

function integer (min: number) {
  return (value: string): number => {
    const n = Number(value)
    if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}`)
    return n
  }
}

function table (views: NodeView[]): string {
  const rows = [['index', 'pid', 'peer id', 'port', 'routing', 'items', 'bytes', 'state']]
  for (const v of views) {
    rows.push([
      String(v.index),
      String(v.pid ?? '-'),
      v.peerId ?? '-',
      String(v.port ?? '-'),
      v.status != null ? String(v.status.routingTableSize) : '-',
      v.status != null ? String(v.status.storedItems) : '-',
      v.status != null ? String(v.status.storedBytes) : '-',
      v.up ? 'up' : 'down'
    ])
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map(r => r[i]!.length)))
  return rows.map(r => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n') + '\n'
}

function nextSteps (testnet: Testnet): string {
  return [
    '',
    `SafeMesh testnet: ${testnet.size} nodes, G = ${testnet.groupSize}, network file ${testnet.networkFile}`,
    '',
    'Next, in another terminal (in this folder):',
    '  npx safemesh account create        # set SAFEMESH_SECRET and SAFEMESH_PASSWORD first, or be prompted',
    '  npx safemesh put ./some-file       # prints the file\'s address',
    '  npx safemesh get <address> -o copy',
    '  npx safemesh fs put -r ./some-folder _documents/folder   # your private drive: fs ls, get, history…',
    '  npx safemesh gateway               # then open http://127.0.0.1:8080/ : the nodes live, close groups, app approvals',
    '  npx safemesh dns register mysite && npx safemesh web publish ./site --as www.mysite',
    '                                     # the site at http://localhost:8080/safe/www.mysite/',
    '  npm run testnet -- status          # the nodes, their routing tables and what they store',
    '',
    'Press Ctrl-C to stop every node.',
    ''
  ].join('\n')
}

/** `npm run testnet -- <command>` and `npm start`. */
export async function main (argv: string[]): Promise<void> {
  const program = new Command('testnet')
    .description('Run a local SafeMesh network of separate node processes.')
    .option('--dir <dir>', 'directory for the nodes\' data, logs and network.json', '.testnet')
    .showHelpAfterError()

  const open = async (detached: boolean): Promise<Testnet> => {
    const testnet = new Testnet({ dir: program.opts<{ dir: string }>().dir, detached })
    await testnet.load()
    return testnet
  }

  const upOptions = (cmd: Command): Command => cmd
    .option('--nodes <n>', 'number of nodes', integer(1), 12)
    .option('--group-size <n>', 'close group size G', integer(3), 8)
    .option('--account-ops <n>', 'mutations each account may make', integer(0), 1000)
    .option('--capacity <bytes>', 'storage capacity of each node', integer(0))
    .option('--log-level <level>', 'node log level', 'info')

  type UpOptions = { nodes: number, groupSize: number, accountOps: number, capacity?: number, logLevel: string }
  const create = async (options: UpOptions, detached: boolean): Promise<Testnet> => {
    const dir = program.opts<{ dir: string }>().dir
    const existing = await open(detached)
    if (existing.records().some(r => r.pid != null)) {
      const running = (await existing.status()).filter(v => v.up)
      if (running.length > 0) throw new Error(`a testnet already runs in ${dir} (${running.length} nodes); run 'npm run testnet -- down' first`)
    }
    await rm(dir, { recursive: true, force: true })
    return new Testnet({
      dir,
      detached,
      groupSize: options.groupSize,
      accountOps: options.accountOps,
      capacity: options.capacity,
      logLevel: options.logLevel
    })
  }

  upOptions(program.command('up'))
    .description('start the nodes in the background and return once every routing table is full')
    .action(async (options: UpOptions) => {
      const testnet = await create(options, true)
      const started = performance.now()
      try {
        await testnet.up(options.nodes)
      } catch (err) {
        await testnet.down()
        throw err
      }
      process.stdout.write(`converged in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
      process.stdout.write(table(await testnet.status()))
      process.stdout.write(`network file: ${testnet.networkFile}\n`)
    })

  upOptions(program.command('start', { hidden: true }))
    .description('start the nodes in the foreground; Ctrl-C stops them (npm start)')
    .action(async (options: UpOptions) => {
      const testnet = await create(options, false)
      const stop = new AbortController()
      let stopping = false
      const shutdown = (): void => {
        if (stopping) return
        stopping = true
        stop.abort()
        process.stdout.write('\nstopping every node…\n')
        testnet.down().then(() => { process.exit(0) }, () => { process.exit(1) })
      }
      process.on('SIGINT', shutdown)
      process.on('SIGTERM', shutdown)
      process.stdout.write(`starting ${options.nodes} nodes in ${testnet.dir} …\n`)
      const started = performance.now()
      try {
        await testnet.up(options.nodes, { signal: stop.signal })
      } catch (err) {
        if (stopping) return
        await testnet.down()
        throw err
      }
      process.stdout.write(`converged in ${((performance.now() - started) / 1000).toFixed(1)} s\n`)
      process.stdout.write(table(await testnet.status()))
      process.stdout.write(nextSteps(testnet))
      // Stay in the foreground until Ctrl-C.
      await new Promise<void>(() => {})
    })

  program.command('status')
    .description('show every node: pid, peer id, port, routing-table size, stored items, up/down')
    .option('--json', 'print one JSON object')
    .action(async (options: { json?: boolean }) => {
      const testnet = await open(true)
      const views = await testnet.status()
      if (options.json === true) process.stdout.write(JSON.stringify({ dir: testnet.dir, nodes: views }) + '\n')
      else process.stdout.write(views.length === 0 ? 'no testnet here\n' : table(views))
    })

  program.command('down')
    .description('stop every node')
    .option('--clean', 'also remove the directory')
    .action(async (options: { clean?: boolean }) => {
      const testnet = await open(true)
      await testnet.down({ clean: options.clean === true })
      process.stdout.write(`stopped ${testnet.size} nodes\n`)
    })

  program.command('kill <index>')
    .description('kill one node with SIGKILL (a crash)')
    .action(async (index: string) => {
      const testnet = await open(true)
      await testnet.kill(integer(0)(index))
    })

  program.command('restart <index>')
    .description('start a node again with its data dir: same peer id, same data')
    .action(async (index: string) => {
      const testnet = await open(true)
      await testnet.restart(integer(0)(index))
      process.stdout.write(table(await testnet.status()))
    })

  program.command('add [count]')
    .description('add nodes to the running testnet')
    .action(async (count: string | undefined) => {
      const testnet = await open(true)
      await testnet.add(count == null ? 1 : integer(1)(count))
      process.stdout.write(table(await testnet.status()))
    })

  try {
    await program.parseAsync(argv)
  } catch (err) {
    process.stderr.write(`testnet: ${(err as Error).message}\n`)
    process.exitCode = 1
  }
}
