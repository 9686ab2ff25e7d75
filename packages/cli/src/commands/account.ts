/** `safemesh account create|info` (SPEC §10). */
import type { Command } from 'commander'
import { xorNameToHex } from '@safemesh/protocol'
import { signalOption, type ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'

export function registerAccount (program: Command, run: ActionRunner): void {
  const account = program.command('account').description('create an account, or show its balance')

  account.command('create')
    .description('create an account for $SAFEMESH_SECRET / $SAFEMESH_PASSWORD (asked for on a terminal)')
    .action(run(async (ctx: ActionContext) => {
      const client = await ctx.clients.createAccount()
      const info = await client.getAccountInfo(signalOption(ctx))
      const name = xorNameToHex(client.account as Uint8Array)
      ctx.out.result({ account: name, mutationsAvailable: info.mutationsAvailable }, [
        `Created account ${name}`,
        `${info.mutationsAvailable} mutations available`
      ])
    }))

  account.command('info')
    .description('the account\'s mutations done and available')
    .action(run(async (ctx: ActionContext) => {
      const client = await ctx.clients.acting()
      const info = await client.getAccountInfo(signalOption(ctx))
      const name = xorNameToHex(client.account as Uint8Array)
      ctx.out.result({ account: name, mutationsDone: info.mutationsDone, mutationsAvailable: info.mutationsAvailable }, [
        `account             ${name}`,
        `mutations done      ${info.mutationsDone}`,
        `mutations available ${info.mutationsAvailable}`
      ])
    }))
}
