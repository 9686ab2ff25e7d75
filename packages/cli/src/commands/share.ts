/**
 * `safemesh share …` (issue 15): share a file or folder with accounts or as a link, revoke a
 * reader, change an expiry, cancel a link; `share log` (share-log.ts) shows the record of it all.
 * The owner's commands first record in the share log any payment its shares received.
 */
import type { Command } from 'commander'
import { bytesToHex } from '@safemesh/protocol'
import { decodeLink, parseExpiry, type ShareResult } from '@safemesh/client'
import { signalOption, type ActionContext } from '../action-context.js'
import { parseInteger, parseKeyHex, parseName } from '../arguments.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'
import { registerShareLog } from './share-log.js'

const KEEP = [
  'What a reader already read or downloaded, it keeps: revoking, expiring or cancelling stops what',
  'comes after (the network no longer hands it the key, and a folder\'s later writes are under a new',
  'key), it cannot make anyone forget.'
].join('\n')

interface ShareFlags {
  with: string[]
  expires?: string
  note?: string
  price?: string
  link?: boolean
}

export function registerShare (program: Command, run: ActionRunner): void {
  const share = program.command('share')
    .argument('<PATH>', 'a file or a folder inside a container, e.g. _documents/records')
    .option('--with <ID>', 'an account to share with (its ID, from `safemesh id`); repeatable', (value: string, list: string[]) => [...list, value], [])
    .option('--expires <WHEN>', 'when the share ends: 30s, 90m, 24h, 7d, or an ISO date; the network enforces it')
    .option('--note <TEXT>', 'a note the recipients see in their inbox')
    .option('--price <N>', 'credits each read costs the reader, paid to you')
    .option('--link', 'also make a link: whoever holds it reads until it expires or you cancel it')
    .description('share a file or folder with other accounts (or as a link); they find it in `safemesh inbox`')
    .addHelpText('after', [
      '',
      'A folder becomes a container of its own (same path): what you write into it later reaches the',
      'recipients. A file share is of the file\'s current version; sharing the same path with the same',
      'people again gives them the latest. Recipients read with `fs ls share:<share>` and',
      '`fs get share:<share>/<path>`; a link with `fs ls link:<link>`.',
      '',
      KEEP
    ].join('\n'))
    .action(run(async (ctx: ActionContext, path: string, flags: ShareFlags) => {
      const ids = flags.with.map(id => bytesToHex(parseKeyHex(id, '--with ID')))
      if (ids.length === 0 && flags.link !== true) throw new UsageError('share with at least one --with ID, or make a --link')
      const price = flags.price === undefined ? undefined : parseInteger(flags.price, '--price')
      if (price === 0) throw new UsageError('--price is at least 1 (leave it out for a free share)')
      if (price !== undefined && flags.link === true) throw new UsageError('a link cannot pay: give --price or --link, not both')
      const expires = flags.expires === undefined ? undefined : usage(() => parseExpiry(flags.expires as string))
      const owner = await ctx.clients.owner()
      const result = await owner.sharing().share(path, {
        ...signalOption(ctx),
        with: ids,
        link: flags.link === true,
        ...(expires !== undefined ? { expires } : {}),
        ...(price !== undefined ? { price } : {}),
        ...(flags.note !== undefined ? { note: flags.note } : {})
      })
      ctx.out.result({
        share: result.share,
        path: result.path,
        kind: result.kind,
        recipients: result.recipients,
        expires: iso(result.expires),
        price: result.price ?? null,
        ...(result.link !== undefined ? { link: result.link } : {})
      }, describeShare(result))
    }))

  share.command('revoke').argument('<SHARE>', 'the share id (what `share` printed)')
    .requiredOption('--from <ID>', 'the account (its ID) or link key to take off the share')
    .description('take a reader off a share; a folder gets a new key that the others receive and it does not')
    .addHelpText('after', `\n${KEEP}`)
    .action(run(async (ctx: ActionContext, shareId: string, flags: { from: string }) => {
      const id = parseKeyHex(flags.from, '--from ID')
      const name = parseName(shareId, 'SHARE')
      const owner = await ctx.clients.owner()
      const result = await owner.sharing().revoke(name, id, signalOption(ctx))
      ctx.out.result({ share: result.share, path: result.path, kind: result.kind, revoked: result.revoked, readers: result.readers, rotated: result.rotated }, [
        `Revoked ${result.revoked} from ${result.kind} ${result.path} (share ${result.share})`,
        result.rotated
          ? `The folder now has a new key and place; ${result.readers.length} remaining reader(s) received it.`
          : 'Its envelope is deleted: the network no longer serves it the file\'s key.',
        'What it already read or downloaded, it keeps.'
      ])
    }))

  share.command('expiry').argument('<SHARE>', 'the share id')
    .option('--expires <WHEN>', 'the new end: 30s, 90m, 24h, 7d, or an ISO date')
    .option('--never', 'the share no longer expires')
    .description('change when a share ends (the network refuses its readers from then on)')
    .addHelpText('after', `\n${KEEP}`)
    .action(run(async (ctx: ActionContext, shareId: string, flags: { expires?: string, never?: boolean }) => {
      // `share` has an --expires of its own, which commander gives to it: read it from there too.
      const when = flags.expires ?? share.opts<{ expires?: string }>().expires
      if ((when === undefined) === (flags.never !== true)) throw new UsageError('give --expires WHEN or --never')
      const expires = when === undefined ? undefined : usage(() => parseExpiry(when))
      const name = parseName(shareId, 'SHARE')
      const owner = await ctx.clients.owner()
      const result = await owner.sharing().setExpiry(name, expires, signalOption(ctx))
      ctx.out.result({ share: result.share, expires: iso(result.expires) },
        result.expires === undefined ? `share ${result.share} no longer expires` : `share ${result.share} ends at ${iso(result.expires) as string}`)
    }))

  share.command('cancel-link').argument('<SHARE>', 'the share id').argument('<LINK>', 'the link itself, or its key (64 hex digits)')
    .description('cancel a link at once: the network stops serving it')
    .addHelpText('after', `\n${KEEP}`)
    .action(run(async (ctx: ActionContext, shareId: string, link: string) => {
      const name = parseName(shareId, 'SHARE')
      const key = link.trim()
      if (!/^[0-9a-fA-F]{64}$/.test(key)) usage(() => decodeLink(key))
      const owner = await ctx.clients.owner()
      const result = await owner.sharing().cancelLink(name, key, signalOption(ctx))
      ctx.out.result({ share: result.share, link: result.link, cancelled: true }, `cancelled link ${result.link} of share ${result.share}`)
    }))

  registerShareLog(share, run)
}

function describeShare (result: ShareResult): string[] {
  return [
    `${result.updated ? 'Updated' : 'Shared'} ${result.kind} ${result.path}: share ${result.share}`,
    ...(result.recipients.length > 0 ? [`  with ${result.recipients.join(', ')}`] : []),
    `  ${result.expires === undefined ? 'no expiry' : `until ${iso(result.expires) as string}`}${result.price !== undefined ? `, ${result.price} credits per read` : ''}`,
    ...(result.link !== undefined ? ['Link (a secret: whoever holds it reads):', result.link] : [])
  ]
}

function iso (at: number | undefined): string | null {
  return at === undefined ? null : new Date(at).toISOString()
}

/** The library's InvalidRequest for what was typed, as a usage error (exit 2). */
function usage<T> (parse: () => T): T {
  try {
    return parse()
  } catch (err) {
    throw new UsageError((err as Error).message)
  }
}
