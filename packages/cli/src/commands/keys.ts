/** `safemesh keys` (SPEC §10): the public keys of the account, or of the app acting. */
import type { Command } from 'commander'
import { bytesToHex } from '@safemesh/protocol'
import type { ActionContext } from '../action-context.js'
import type { ActionRunner } from '../program-types.js'

export function registerKeys (program: Command, run: ActionRunner): void {
  program.command('keys')
    .description('the public keys you act with: the account\'s, or the app\'s with $SAFEMESH_APP')
    .action(run(async (ctx: ActionContext) => {
      const keys = await ctx.clients.actingKeys()
      const sign = bytesToHex(keys.sign.publicKey)
      const encrypt = bytesToHex(keys.encrypt.publicKey)
      ctx.out.result({ sign, encrypt }, [`sign     ${sign}`, `encrypt  ${encrypt}`])
    }))
}
