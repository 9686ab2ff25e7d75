/** `safemesh inbox` (issue 15): what others shared with this account, read at `share:<share>/…` with `fs`. */
import type { Command } from 'commander'
import type { InboxShare } from '@safemesh/client'
import { signalOption, type ActionContext } from '../action-context.js'
import type { JsonObject } from '../output.js'
import type { ActionRunner } from '../program-types.js'

export function registerInbox (program: Command, run: ActionRunner): void {
  program.command('inbox')
    .description('what others shared with this account (read one with `fs ls share:<share>` and `fs get share:<share>/<path>`)')
    .addHelpText('after', '\nEach item is checked: sealed to this account and signed by its sender. Items that are not are counted as skipped.')
    .action(run(async (ctx: ActionContext) => {
      const owner = await ctx.clients.owner()
      const { shares, skipped } = await owner.sharing().inbox(signalOption(ctx))
      ctx.out.result({ shares: shares.map(shareJson), skipped }, [
        ...(shares.length === 0 ? ['nothing shared with you'] : shares.map(describe)),
        ...(skipped > 0 ? [`(${skipped} item(s) skipped: not sealed to you, or not signed by their sender)`] : [])
      ])
    }))
}

function shareJson (share: InboxShare): JsonObject {
  return {
    share: share.share,
    from: share.from,
    kind: share.kind,
    path: share.path,
    note: share.note ?? null,
    at: new Date(share.at).toISOString(),
    expires: share.expires === undefined ? null : new Date(share.expires).toISOString(),
    price: share.price ?? null
  }
}

function describe (share: InboxShare): string {
  const terms = [
    share.expires === undefined ? 'no expiry' : `until ${new Date(share.expires).toISOString()}`,
    ...(share.price !== undefined ? [`${share.price} credits per read`] : [])
  ].join(', ')
  return [
    `share:${share.share}  ${share.kind} ${share.path}`,
    `  from ${share.from}, ${new Date(share.at).toISOString()}, ${terms}`,
    ...(share.note !== undefined ? [`  "${share.note}"`] : [])
  ].join('\n')
}
