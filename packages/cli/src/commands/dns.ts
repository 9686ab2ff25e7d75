/**
 * `safemesh dns …` (SPEC §9 DNS, issue 16): public ids (`safe://<service>.<publicId>`) and their
 * services. Registering and changing need the account's owner; `dns ls PUBLIC_ID` reads any id
 * without an account.
 */
import type { Command } from 'commander'
import { TYPE_TAG_PUBLIC_ID, TYPE_TAG_WEB_SERVICE, assertPublicId, assertServiceName, isSafeMeshError, xorNameToHex } from '@safemesh/protocol'
import { SafeMeshError, type PublicName, type ServiceRecord } from '@safemesh/client'
import { signalOption, type ActionContext } from '../action-context.js'
import { parseName } from '../arguments.js'
import type { JsonObject } from '../output.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'

export function registerDns (program: Command, run: ActionRunner): void {
  const dns = program.command('dns').description('public ids for safe:// names: register one, point its services at sites')
    .addHelpText('after', [
      '',
      'A public id is 1 to 63 of a-z, 0-9 and "-" (not first or last). safe://www.mysite is the',
      'service "www" of the public id "mysite"; safe://mysite means www too. The first account to',
      'register an id owns it; only it can change the id\'s services. `safemesh web publish` uploads',
      'a site and points a service at it in one step.'
    ].join('\n'))

  dns.command('register').argument('<PUBLIC_ID>', 'the id to claim, e.g. mysite')
    .description('claim a public id for this account (DataExists when it is taken); recorded in _publicNames')
    .action(run(async (ctx: ActionContext, publicId: string) => {
      checkNames(publicId)
      const owner = await ctx.clients.owner()
      const registered = await owner.web().register(publicId, signalOption(ctx))
      ctx.out.result({ publicId: registered.publicId, name: xorNameToHex(registered.name), tag: TYPE_TAG_PUBLIC_ID },
        [`Registered ${registered.publicId} (MutableData ${xorNameToHex(registered.name)}, tag ${TYPE_TAG_PUBLIC_ID})`])
    }))

  dns.command('add-service').argument('<PUBLIC_ID>').argument('<SERVICE>', 'e.g. www, blog').argument('<DIRECTORY>', 'a tag-15002 directory (64 hex digits), e.g. printed by `web publish`')
    .description('point a service of your public id at a site directory (its next version; the earlier stay in its history)')
    .action(run(async (ctx: ActionContext, publicId: string, service: string, directoryHex: string) => {
      checkNames(publicId, service)
      const directory = parseName(directoryHex, 'DIRECTORY')
      const owner = await ctx.clients.owner()
      // A service pointing at nothing would only fail its readers later.
      await owner.getMDataShell({ name: directory, tag: TYPE_TAG_WEB_SERVICE }, signalOption(ctx)).catch((err: unknown) => {
        if (isSafeMeshError(err) && err.code === 'NoSuchData') throw new SafeMeshError('NoSuchData', `no site directory (tag ${TYPE_TAG_WEB_SERVICE}) at ${directoryHex}`)
        throw err
      })
      const record = await owner.web().addService(publicId, service, directory, signalOption(ctx))
      ctx.out.result({ publicId, ...recordJson(record) }, `safe://${service}.${publicId} → ${xorNameToHex(record.directory)} (version ${record.version})`)
    }))

  dns.command('rm-service').argument('<PUBLIC_ID>').argument('<SERVICE>')
    .description('remove a service of your public id (its history stays readable)')
    .action(run(async (ctx: ActionContext, publicId: string, service: string) => {
      checkNames(publicId, service)
      const owner = await ctx.clients.owner()
      await owner.web().removeService(publicId, service, signalOption(ctx))
      ctx.out.result({ publicId, service, removed: true }, `removed safe://${service}.${publicId}`)
    }))

  dns.command('ls').argument('[PUBLIC_ID]', 'any public id: its services and their history (no account needed)')
    .description('list your public ids and their services, or one public id\'s services and history')
    .action(run(async (ctx: ActionContext, publicId: string | undefined) => {
      if (publicId !== undefined) {
        checkNames(publicId)
        const reader = await ctx.clients.connected()
        const described = await reader.web().describe(publicId, signalOption(ctx))
        ctx.out.result({ ...publicNameJson(described), history: described.history.map(recordJson) }, [
          ...describeName(described),
          'history:',
          ...described.history.map(r => `  ${r.service}@${r.version}  ${xorNameToHex(r.directory)}  ${new Date(r.publishedAt).toISOString()}`)
        ])
        return
      }
      const owner = await ctx.clients.owner()
      const names = await owner.web().list(signalOption(ctx))
      ctx.out.result({ publicIds: names.map(publicNameJson) }, names.length === 0 ? ['(no public ids: `safemesh dns register PUBLIC_ID`)'] : names.flatMap(describeName))
    }))
}

/** A mistyped id or service is a usage error (exit 2), found before anything is sent. */
function checkNames (publicId: string, service?: string): void {
  try {
    assertPublicId(publicId)
    if (service !== undefined) assertServiceName(service)
  } catch (err) {
    if (isSafeMeshError(err)) throw new UsageError(err.message)
    throw err
  }
}

function recordJson (record: ServiceRecord): JsonObject {
  return { service: record.service, directory: xorNameToHex(record.directory), version: record.version, publishedAt: new Date(record.publishedAt).toISOString() }
}

function publicNameJson (name: PublicName): JsonObject {
  return { publicId: name.publicId, name: xorNameToHex(name.name), services: name.services.map(recordJson) }
}

function describeName (name: PublicName): string[] {
  return [
    `${name.publicId}  (${xorNameToHex(name.name)})`,
    ...(name.services.length === 0 ? ['  (no services)'] : name.services.map(s => `  safe://${s.service}.${name.publicId}  v${s.version}  ${xorNameToHex(s.directory)}`))
  ]
}
