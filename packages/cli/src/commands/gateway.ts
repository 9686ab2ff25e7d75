/** `safemesh gateway` (issue 16): sites, raw files, the testnet's page and the REST API on loopback. */
import { existsSync } from 'node:fs'
import { once } from 'node:events'
import { dirname, join, resolve } from 'node:path'
import type { Command } from 'commander'
import { startGateway } from '@safemesh/gateway'
import type { ActionContext } from '../action-context.js'
import { parseInteger } from '../arguments.js'
import type { ActionRunner } from '../program-types.js'

interface GatewayFlags {
  port: string
  testnet?: string
}

export function registerGateway (program: Command, run: ActionRunner): void {
  program.command('gateway')
    .description('serve safe:// sites and files over HTTP on 127.0.0.1, with the testnet\'s page, app approvals and the sharing REST API')
    .option('--port <N>', 'the port (0: any free one)', '8080')
    .option('--testnet <DIR>', 'the testnet folder whose nodes the page shows (default: the network file\'s folder, when it holds a testnet)')
    .addHelpText('after', [
      '',
      'Sites:   http://localhost:<port>/safe/<service>.<publicId>/<path>  (a version: …/safe/www.mysite@3/)',
      '         http://<service>.<publicId>.localhost:<port>/<path>',
      'Files:   http://localhost:<port>/file/<address>[?name=movie.mp4]',
      'Page:    http://127.0.0.1:<port>/  (nodes, close groups, your account and apps, app approvals)',
      'REST:    POST /share_data, GET /data/<hash>, /verify_data/<hash>, /data/list  (packages/gateway/openapi.json)',
      '',
      'It reads as a connected client: no account is needed to serve sites; log in on the page for the rest.',
      'Runs until Ctrl-C. With --json it prints one object, {"port","consoleUrl","contentUrl"}, once listening.'
    ].join('\n'))
    .action(run(async (ctx: ActionContext, flags: GatewayFlags) => {
      const port = parseInteger(flags.port, '--port', 65_535)
      const client = await ctx.clients.clientOptions()
      const testnetDir = flags.testnet !== undefined ? resolve(ctx.io.cwd, flags.testnet) : testnetBeside(ctx.clients.networkFile())
      const gateway = await startGateway({ client, port, ...(testnetDir !== undefined ? { testnetDir } : {}), ...(client.log !== undefined ? { log: client.log } : {}) })
      try {
        ctx.out.result({ port: gateway.port, consoleUrl: gateway.consoleUrl, contentUrl: gateway.contentUrl }, [
          `SafeMesh gateway on port ${gateway.port}`,
          `  the page:  ${gateway.consoleUrl}/`,
          `  sites:     ${gateway.contentUrl}/safe/<service>.<publicId>/   or   http://<service>.<publicId>.localhost:${gateway.port}/`,
          `  files:     ${gateway.contentUrl}/file/<address>`,
          ...(testnetDir !== undefined ? [`  nodes of:  ${testnetDir}`] : []),
          'Ctrl-C stops it.'
        ])
        if (ctx.signal !== undefined && !ctx.signal.aborted) await once(ctx.signal, 'abort')
      } finally {
        await gateway.close()
      }
    }))
}

function testnetBeside (networkFile: string | undefined): string | undefined {
  if (networkFile === undefined) return undefined
  const dir = dirname(networkFile)
  return existsSync(join(dir, 'testnet.json')) ? dir : undefined
}
