/** `safemesh app auth|list|revoke` (SPEC §10): the owner authorises and revokes apps. */
import type { Command } from 'commander'
import { signalOption, type ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'

export function registerApps (program: Command, run: ActionRunner): void {
  const app = program.command('app').description('authorise, list and revoke apps (the account owner only)')

  app.command('auth').argument('<APP_ID>', 'a name for the app')
    .description('create keys for an app and authorise them; prints the credentials the app acts with ($SAFEMESH_APP)')
    .action(run(async (ctx: ActionContext, appId: string) => {
      const owner = await ctx.clients.owner()
      const result = await owner.authoriseApp(appId, signalOption(ctx))
      ctx.out.result({ app: result.app, key: result.key, credentials: result.credentials }, [
        `Authorised ${result.app} (key ${result.key})`,
        'Its credentials (a secret; give them to the app as SAFEMESH_APP):',
        result.credentials
      ])
    }))

  app.command('list')
    .description('the authorised apps')
    .action(run(async (ctx: ActionContext) => {
      const owner = await ctx.clients.owner()
      const apps = await owner.listApps(signalOption(ctx))
      ctx.out.result({ apps: apps.map(a => ({ app: a.app, key: a.key, authorised: a.authorised })) },
        apps.length === 0 ? ['no apps'] : apps.map(a => `${a.app}  ${a.key}${a.authorised ? '' : '  (key not authorised: run app auth again)'}`))
    }))

  app.command('revoke').argument('<APP_ID>', 'the app')
    .description('delete the app\'s key: the network refuses its requests from then on')
    .action(run(async (ctx: ActionContext, appId: string) => {
      const owner = await ctx.clients.owner()
      const result = await owner.revokeApp(appId, signalOption(ctx))
      ctx.out.result({ app: result.app, key: result.key, revoked: true }, `Revoked ${result.app} (key ${result.key})`)
    }))
}
