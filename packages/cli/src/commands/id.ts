/** `safemesh id` (issue 15): what others need to share with this account; publishes it when missing. */
import type { Command } from 'commander'
import { signalOption, type ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'

export function registerId (program: Command, run: ActionRunner): void {
  program.command('id')
    .description('this account\'s ID (what others give `share --with`), and where its profile, inbox and share log are')
    .addHelpText('after', '\nThe first run on an account made before sharing publishes its profile, inbox and share log (3 mutations).')
    .action(run(async (ctx: ActionContext) => {
      const owner = await ctx.clients.owner()
      const id = await owner.sharing().id(signalOption(ctx))
      ctx.out.result({ ...id }, [
        `id        ${id.id}`,
        `account   ${id.account}`,
        `encrypt   ${id.encrypt}`,
        `profile   ${id.profile}`,
        `inbox     ${id.inbox}`,
        `share log ${id.shareLog}`
      ])
    }))
}
