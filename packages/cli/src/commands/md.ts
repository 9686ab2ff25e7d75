/**
 * `safemesh md …` (SPEC §10): MutableData from the command line. Keys and values are UTF-8 text;
 * versions default to current + 1 (read from the network first). Private data (`md create
 * --private`) is encrypted and decrypted transparently with the creator's keys.
 */
import type { Command } from 'commander'
import {
  bytesToHex, isSafeMeshError, isTombstone, listEntries, listPermissions, type KeyedEntryAction, type MutableDataEntry, type XorName
} from '@safemesh/protocol'
import type { SafeMeshClient } from '@safemesh/client'
import { isPrivateMarker } from '@safemesh/client/internals'
import { signalOption, type ActionContext } from '../action-context.js'
import {
  describePermissions, describeUser, parseActions, parseKeyHex, parseName, parseTag, parseUser, parseVersion, textOrHex, utf8
} from '../arguments.js'
import { entryCodecFor, PLAIN_ENTRIES, privateCodec, type EntryCodec } from '../entry-codec.js'
import type { Json, JsonObject } from '../output.js'
import type { ActionRunner } from '../program-types.js'
import { UsageError } from '../usage-error.js'

interface VersionOption { version?: string }

export function registerMd (program: Command, run: ActionRunner): void {
  const md = program.command('md').description('MutableData: create, read, change entries, permissions and owner')

  md.command('create')
    .requiredOption('--tag <T>', 'type tag (any unsigned integer but 0, which is for session packets)')
    .option('--name <HEX>', 'name (default: random)')
    .option('--private', 'encrypt keys and values with your keys')
    .description('create a MutableData owned by your account')
    .action(run(async (ctx: ActionContext, options: { tag: string, name?: string, private?: boolean }) => {
      const tag = parseTag(options.tag)
      if (tag === 0) throw new UsageError('tag 0 is for session packets')
      const name = options.name !== undefined ? parseName(options.name, '--name') : undefined
      const client = await ctx.clients.acting()
      const data = await client.createMData({ tag, ...(name !== undefined ? { name } : {}), private: options.private === true, ...signalOption(ctx) })
      const hex = bytesToHex(data.name)
      ctx.out.result({ name: hex, tag }, `Created ${options.private === true ? 'private ' : ''}MutableData ${hex} (tag ${tag})`)
    }))

  md.command('get').argument('<NAME>').argument('<TAG>').argument('[KEY]')
    .description('one entry ({key, value, version}), or the whole MutableData')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, key: string | undefined) => {
      const [name, tag] = [parseName(nameHex), parseTag(tagText)]
      const reader = await ctx.clients.connected()
      if (key !== undefined) {
        const codec = await entryCodecFor(reader, name, tag, async () => await ctx.clients.actingKeys(), signalOption(ctx))
        const storedKey = codec.key(utf8(key))
        const value = await reader.getMDataValue({ name, tag }, storedKey, signalOption(ctx))
        const entry = { key: utf8(key), content: codec.readValue(storedKey, value.version, value.content), version: value.version }
        const json = entryJson(entry)
        if (isTombstone(value)) json['deleted'] = true
        ctx.out.result(json, isTombstone(value) ? `${key} (deleted, version ${value.version})` : entryLine(entry))
        return
      }
      const data = await reader.getMData({ name, tag }, signalOption(ctx))
      const stored = listEntries(data)
      const marker = stored.find(e => isPrivateMarker(e.key))
      const codec = marker === undefined ? PLAIN_ENTRIES : privateCodec(await ctx.clients.actingKeys(), marker.content)
      const entries = codec.readEntries(stored)
      const permissions = listPermissions(data).map(p => ({ user: describeUser(p.user), ...describePermissions(p.permissions) }))
      const owner = data.owners[0] !== undefined ? bytesToHex(data.owners[0]) : null
      ctx.out.result({
        name: bytesToHex(name), tag, version: data.version, owner, private: codec.private, entries: entries.map(entryJson), permissions
      }, [
        `MutableData ${bytesToHex(name)} (tag ${tag}${codec.private ? ', private' : ''})`,
        `version ${data.version}, owner ${owner ?? '-'}`,
        `${entries.length} entries${entries.length > 0 ? ':' : ''}`,
        ...entries.map(e => `  ${entryLine(e)}`),
        ...permissions.map(p => `permissions of ${p.user}: ${permissionLine(p)}`)
      ])
    }))

  md.command('list').argument('<NAME>').argument('<TAG>')
    .option('--all', 'include deleted entries (tombstones)')
    .description('every entry, as {key, value, version}')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, options: { all?: boolean }) => {
      const [name, tag] = [parseName(nameHex), parseTag(tagText)]
      const reader = await ctx.clients.connected()
      const stored = await reader.listMDataEntries({ name, tag }, signalOption(ctx))
      const marker = stored.find(e => isPrivateMarker(e.key))
      const codec = marker === undefined ? PLAIN_ENTRIES : privateCodec(await ctx.clients.actingKeys(), marker.content)
      const entries = codec.readEntries(stored, options.all === true)
      ctx.out.result({ entries: entries.map(e => isTombstone(e) ? { ...entryJson(e), deleted: true } : entryJson(e)) },
        entries.length === 0 ? ['no entries'] : entries.map(e => isTombstone(e) ? `${textLine(e.key)} (deleted, version ${e.version})` : entryLine(e)))
    }))

  const entryCommand = (verb: 'insert' | 'update'): void => {
    md.command(verb).argument('<NAME>').argument('<TAG>').argument('<KEY>').argument('<VALUE>')
      .option('--version <V>', verb === 'insert' ? 'only to re-create a deleted key: its version + 1 (default)' : 'the entry\'s version + 1 (default)')
      .description(verb === 'insert' ? 'add an entry' : 'change an entry\'s value')
      .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, key: string, value: string, options: VersionOption) => {
        const [name, tag] = [parseName(nameHex), parseTag(tagText)]
        if (value.length === 0) throw new UsageError('VALUE must not be empty (an empty value is what a deleted entry holds)')
        let version = options.version !== undefined ? parseVersion(options.version) : undefined
        const { client, codec } = await forWriting(ctx, name, tag)
        const storedKey = codec.key(utf8(key))
        if (!codec.private && isPrivateMarker(storedKey)) throw new UsageError(`the key ${key} is reserved`)
        const plain = utf8(value)
        const update = async (v: number): Promise<void> => {
          await client.mutateMDataEntries({ name, tag }, [{ key: storedKey, action: { kind: 'Update', content: codec.value(storedKey, v, plain), version: v } }], signalOption(ctx))
        }
        if (verb === 'update' || version !== undefined) {
          version ??= (await client.getMDataValue({ name, tag }, storedKey, signalOption(ctx))).version + 1
          await update(version)
        } else {
          try {
            version = 0
            await client.mutateMDataEntries({ name, tag }, [{ key: storedKey, action: { kind: 'Insert', content: codec.value(storedKey, 0, plain) } }], signalOption(ctx))
          } catch (err) {
            // Inserting a deleted key re-creates it: Update(current + 1) (SPEC §2).
            const current = await client.getMDataValue({ name, tag }, storedKey, signalOption(ctx)).catch(() => undefined)
            if (!isSafeMeshError(err) || err.code !== 'InvalidEntryActions' || current === undefined || !isTombstone(current)) throw err
            version = current.version + 1
            await update(version)
          }
        }
        ctx.out.result({ name: bytesToHex(name), tag, key, version }, `${verb === 'insert' ? 'Inserted' : 'Updated'} ${key} (version ${version})`)
      }))
  }
  entryCommand('insert')
  entryCommand('update')

  md.command('delete').argument('<NAME>').argument('<TAG>').argument('<KEY>')
    .option('--version <V>', 'the entry\'s version + 1 (default)')
    .description('delete an entry (it leaves a tombstone, so its version never goes back)')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, key: string, options: VersionOption) => {
      const [name, tag] = [parseName(nameHex), parseTag(tagText)]
      const given = options.version !== undefined ? parseVersion(options.version) : undefined
      const { client, codec } = await forWriting(ctx, name, tag)
      const storedKey = codec.key(utf8(key))
      const version = given ?? (await client.getMDataValue({ name, tag }, storedKey, signalOption(ctx))).version + 1
      const actions: KeyedEntryAction[] = [{ key: storedKey, action: { kind: 'Delete', version } }]
      await client.mutateMDataEntries({ name, tag }, actions, signalOption(ctx))
      ctx.out.result({ name: bytesToHex(name), tag, key, version }, `Deleted ${key} (version ${version})`)
    }))

  md.command('perms').argument('<NAME>').argument('<TAG>')
    .description('every user\'s permissions')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string) => {
      const [name, tag] = [parseName(nameHex), parseTag(tagText)]
      const reader = await ctx.clients.connected()
      const permissions = (await reader.listMDataPermissions({ name, tag }, signalOption(ctx)))
        .map(p => ({ user: describeUser(p.user), ...describePermissions(p.permissions) }))
      ctx.out.result({ permissions }, permissions.length === 0 ? ['no permissions (only the owner may change it)'] : permissions.map(p => `${p.user}: ${permissionLine(p)}`))
    }))

  md.command('set-perms').argument('<NAME>').argument('<TAG>').argument('<USER>', 'anyone, or a public key (hex)').argument('<ACTIONS>', 'like insert,update,-delete (- denies; manage-permissions too)')
    .option('--version <V>', 'the data\'s version + 1 (default)')
    .description('set (replace) a user\'s permissions')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, userText: string, actionsText: string, options: VersionOption) => {
      const [name, tag, user, permissions] = [parseName(nameHex), parseTag(tagText), parseUser(userText), parseActions(actionsText)]
      const given = givenVersion(options)
      const client = await ctx.clients.acting()
      const version = await nextDataVersion(ctx, client, name, tag, given)
      await client.setMDataUserPermissions({ name, tag }, { user, permissions, version }, signalOption(ctx))
      const described = describePermissions(permissions)
      ctx.out.result({ name: bytesToHex(name), tag, user: describeUser(user), ...described, version }, `Set permissions of ${describeUser(user)}: ${permissionLine(described)} (version ${version})`)
    }))

  md.command('del-perms').argument('<NAME>').argument('<TAG>').argument('<USER>', 'anyone, or a public key (hex)')
    .option('--version <V>', 'the data\'s version + 1 (default)')
    .description('remove a user\'s permissions')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, userText: string, options: VersionOption) => {
      const [name, tag, user] = [parseName(nameHex), parseTag(tagText), parseUser(userText)]
      const given = givenVersion(options)
      const client = await ctx.clients.acting()
      const version = await nextDataVersion(ctx, client, name, tag, given)
      await client.delMDataUserPermissions({ name, tag }, { user, version }, signalOption(ctx))
      ctx.out.result({ name: bytesToHex(name), tag, user: describeUser(user), version }, `Removed the permissions of ${describeUser(user)} (version ${version})`)
    }))

  md.command('owner').argument('<NAME>').argument('<TAG>').argument('<NEWKEYHEX>', 'the new owner\'s public key')
    .option('--version <V>', 'the data\'s version + 1 (default)')
    .description('hand the MutableData to another key (the owner only, never an app)')
    .action(run(async (ctx: ActionContext, nameHex: string, tagText: string, keyHex: string, options: VersionOption) => {
      const [name, tag, owner] = [parseName(nameHex), parseTag(tagText), parseKeyHex(keyHex, 'NEWKEYHEX')]
      const given = givenVersion(options)
      const client = await ctx.clients.acting()
      const version = await nextDataVersion(ctx, client, name, tag, given)
      await client.changeMDataOwner({ name, tag }, { newOwner: owner, version }, signalOption(ctx))
      ctx.out.result({ name: bytesToHex(name), tag, owner: bytesToHex(owner), version }, `Owner is now ${bytesToHex(owner)} (version ${version})`)
    }))
}

async function forWriting (ctx: ActionContext, name: XorName, tag: number): Promise<{ client: SafeMeshClient, codec: EntryCodec }> {
  const client = await ctx.clients.acting()
  const codec = await entryCodecFor(client, name, tag, async () => {
    const keys = client.keys
    if (keys === undefined) throw new Error('unreachable: an acting client has keys')
    return keys
  }, signalOption(ctx))
  return { client, codec }
}

function givenVersion (options: VersionOption): number | undefined {
  return options.version !== undefined ? parseVersion(options.version) : undefined
}

/** The version a permission or owner change must carry: the one given, else the data's + 1. */
async function nextDataVersion (ctx: ActionContext, client: SafeMeshClient, name: XorName, tag: number, given: number | undefined): Promise<number> {
  return given ?? (await client.getMDataVersion({ name, tag }, signalOption(ctx))) + 1
}

function entryJson (entry: MutableDataEntry): JsonObject {
  return { ...textOrHex(entry.key, 'key'), ...textOrHex(entry.content, 'value'), version: entry.version } satisfies Record<string, Json>
}

function textLine (bytes: Uint8Array): string {
  const shown = textOrHex(bytes, 'x')
  return shown['x'] ?? `0x${shown['xHex'] ?? ''}`
}

function entryLine (entry: MutableDataEntry): string {
  return `${textLine(entry.key)} = ${textLine(entry.content)} (version ${entry.version})`
}

function permissionLine (p: { allow: string[], deny: string[] }): string {
  const parts = [...p.allow, ...p.deny.map(a => `-${a}`)]
  return parts.length === 0 ? '(none set)' : parts.join(',')
}
