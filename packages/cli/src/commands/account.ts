/** `safemesh account create|info|transfer` (SPEC §10; transferable credit, issue 15). */
import type { Command } from 'commander'
import { accountNameOf, xorNameToHex } from '@safemesh/protocol'
import { signalOption, type ActionContext } from '../action-context.js'
import { parseInteger, parseKeyHex } from '../arguments.js'
import { UsageError } from '../usage-error.js'
import type { ActionRunner } from '../program-types.js'

export function registerAccount (program: Command, run: ActionRunner): void {
  const account = program.command('account').description('create an account, show its balance, or transfer credit')

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
    .description('the account\'s mutations done and available, and the credits it received and sent')
    .action(run(async (ctx: ActionContext) => {
      const client = await ctx.clients.acting()
      const info = await client.getAccountInfo(signalOption(ctx))
      const name = xorNameToHex(client.account as Uint8Array)
      ctx.out.result({ account: name, mutationsDone: info.mutationsDone, mutationsAvailable: info.mutationsAvailable, creditsReceived: info.creditsReceived, creditsSent: info.creditsSent }, [
        `account             ${name}`,
        `mutations done      ${info.mutationsDone}`,
        `mutations available ${info.mutationsAvailable}`,
        `credits received    ${info.creditsReceived}`,
        `credits sent        ${info.creditsSent}`
      ])
    }))

  account.command('transfer')
    .requiredOption('--to <ID>', 'the recipient\'s ID (what `safemesh id` prints: its signing public key, 64 hex)')
    .requiredOption('--amount <N>', 'credits to move (each is one mutation of allowance); costs exactly N, no fee')
    .description('move credit from your account to another (the owner only); a retried transfer never pays twice')
    .action(run(async (ctx: ActionContext, options: { to: string, amount: string }) => {
      const to = accountNameOf(parseKeyHex(options.to, '--to'))
      const amount = parseInteger(options.amount, '--amount')
      if (amount < 1) throw new UsageError('--amount must be at least 1')
      const client = await ctx.clients.owner()
      const from = client.account as Uint8Array
      await client.transferCredit(to, amount, signalOption(ctx))
      const info = await client.getAccountInfo(signalOption(ctx))
      ctx.out.result({ from: xorNameToHex(from), to: xorNameToHex(to), amount, mutationsAvailable: info.mutationsAvailable }, [
        `Moved ${amount} credit${amount === 1 ? '' : 's'} from account ${xorNameToHex(from)} to account ${xorNameToHex(to)}`,
        `${info.mutationsAvailable} mutations available`
      ])
    }))
}
