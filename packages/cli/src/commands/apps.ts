/** `safemesh app auth|list|revoke` (SPEC §10): the owner authorises and revokes apps; `app request`: an app asks through the gateway. */
import type { Command } from 'commander'
import { signalOption, type ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'
import { parseContainerAccess, requestAppAccess, type AuthorisedApp } from '@safemesh/client'
import { UsageError } from '../usage-error.js'

export function registerApps (program: Command, run: ActionRunner): void {
  const app = program.command('app').description('authorise, list and revoke apps (the account owner only), or ask for access as an app (request)')

  app.command('auth').argument('<APP_ID>', 'a name for the app')
    .option('--container <NAME:ACCESS>', 'a container the app may use, e.g. _documents:read,insert (access: read, insert, update, delete, manage, or basic = read,insert); repeatable', (value: string, list: string[]) => [...list, value], [])
    .option('--own-container', 'give the app its own container apps/<APP_ID>, with every right but changing its owner')
    .description('create keys for an app and authorise them; prints the credentials the app acts with ($SAFEMESH_APP)')
    .action(run(async (ctx: ActionContext, appId: string, options: { container: string[], ownContainer?: boolean }) => {
      const containers = parseContainers(options.container)
      const owner = await ctx.clients.owner()
      const result = await owner.authoriseApp(appId, { ...signalOption(ctx), containers, ownContainer: options.ownContainer === true })
      printAuthorised(ctx, result)
    }))

  // The app's side of approval on the gateway's page (issue 16): no account here, only the gateway.
  app.command('request').argument('<APP_ID>', 'a name for the app')
    .option('--container <NAME:ACCESS>', 'a container to ask for, as for app auth (e.g. _documents:read,insert); repeatable', (value: string, list: string[]) => [...list, value], [])
    .option('--own-container', 'ask for the app\'s own container apps/<APP_ID>')
    .option('--gateway <URL>', 'the gateway\'s console, where the owner answers', 'http://127.0.0.1:8080')
    .description('ask the account owner for access on the gateway\'s page and wait; prints the credentials (as app auth does) once approved, AccessDenied when denied')
    .action(run(async (ctx: ActionContext, appId: string, options: { container: string[], ownContainer?: boolean, gateway: string }) => {
      const containers = parseContainers(options.container)
      if (containers.length === 0 && options.ownContainer !== true) throw new UsageError('ask for at least one --container or --own-container')
      const result = await requestAppAccess({
        gateway: options.gateway,
        app: appId,
        containers,
        ownContainer: options.ownContainer === true,
        ...signalOption(ctx),
        // stderr even with --json: it says where to go, and the result alone goes to stdout.
        onWaiting: (ticket) => { ctx.io.stderr.write(`waiting for approval at ${ticket.approveAt} (request code ${ticket.code})\n`) }
      })
      printAuthorised(ctx, result)
    }))

  app.command('list')
    .description('the authorised apps')
    .action(run(async (ctx: ActionContext) => {
      const owner = await ctx.clients.owner()
      const apps = await owner.listApps(signalOption(ctx))
      ctx.out.result({ apps: apps.map(a => ({ app: a.app, key: a.key, authorised: a.authorised, containers: a.containers.map(c => ({ name: c.name, access: c.access })) })) },
        apps.length === 0
          ? ['no apps']
          : apps.map(a => `${a.app}  ${a.key}${a.authorised ? '' : '  (key not authorised: run app auth again)'}${a.containers.map(c => `\n  ${c.name}: ${c.access.join(',')}`).join('')}`))
    }))

  app.command('revoke').argument('<APP_ID>', 'the app')
    .description('delete the app\'s key and its container permissions, and re-encrypt every private container it could read')
    .action(run(async (ctx: ActionContext, appId: string) => {
      const owner = await ctx.clients.owner()
      const result = await owner.revokeApp(appId, signalOption(ctx))
      ctx.out.result({ app: result.app, key: result.key, revoked: true, reencrypted: result.reencrypted },
        [`Revoked ${result.app} (key ${result.key})`, ...result.reencrypted.map(c => `  re-encrypted ${c}`)])
    }))
}

function parseContainers (list: readonly string[]): ReturnType<typeof parseContainerAccess>[] {
  return list.map(text => {
    try {
      return parseContainerAccess(text)
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
  })
}

function printAuthorised (ctx: ActionContext, result: AuthorisedApp): void {
  ctx.out.result({ app: result.app, key: result.key, credentials: result.credentials, containers: result.containers.map(c => ({ name: c.name, access: c.access })) }, [
    `Authorised ${result.app} (key ${result.key})`,
    ...result.containers.map(c => `  ${c.name}: ${c.access.join(',')}`),
    'Its credentials (a secret; give them to the app as SAFEMESH_APP):',
    result.credentials
  ])
}
