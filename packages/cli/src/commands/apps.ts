/** `safemesh app auth|list|revoke` (SPEC §10): the owner authorises and revokes apps. */
import type { Command } from 'commander'
import { signalOption, type ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'
import { parseContainerAccess } from '@safemesh/client'
import { UsageError } from '../usage-error.js'

export function registerApps (program: Command, run: ActionRunner): void {
  const app = program.command('app').description('authorise, list and revoke apps (the account owner only)')

  app.command('auth').argument('<APP_ID>', 'a name for the app')
    .option('--container <NAME:ACCESS>', 'a container the app may use, e.g. _documents:read,insert (access: read, insert, update, delete, manage, or basic = read,insert); repeatable', (value: string, list: string[]) => [...list, value], [])
    .option('--own-container', 'give the app its own container apps/<APP_ID>, with every right but changing its owner')
    .description('create keys for an app and authorise them; prints the credentials the app acts with ($SAFEMESH_APP)')
    .action(run(async (ctx: ActionContext, appId: string, options: { container: string[], ownContainer?: boolean }) => {
      const containers = options.container.map(text => {
        try {
          return parseContainerAccess(text)
        } catch (err) {
          throw new UsageError((err as Error).message)
        }
      })
      const owner = await ctx.clients.owner()
      const result = await owner.authoriseApp(appId, { ...signalOption(ctx), containers, ownContainer: options.ownContainer === true })
      ctx.out.result({ app: result.app, key: result.key, credentials: result.credentials, containers: result.containers.map(c => ({ name: c.name, access: c.access })) }, [
        `Authorised ${result.app} (key ${result.key})`,
        ...result.containers.map(c => `  ${c.name}: ${c.access.join(',')}`),
        'Its credentials (a secret; give them to the app as SAFEMESH_APP):',
        result.credentials
      ])
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
