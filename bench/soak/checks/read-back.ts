/**
 * Every write a client saw succeed reads back, through the client library as any user reads:
 * each file by its address, hashed and compared with what was written; each MutableData's entries
 * by quorum, equal to the last acknowledged ones (or those of the one mutation whose outcome was
 * unknown); and each account still logs in (its session packet read by quorum and opened).
 */
import { createHash } from 'node:crypto'
import { libp2pNetwork, type NetworkFile, createClient, login } from '@safemesh/client'
import { isSafeMeshError } from '@safemesh/protocol'
import type { Logger } from 'pino'
import { forEachLimited } from '../holds.js'
import { acceptedStates, describeEntries, entriesKey, entriesKeyOfList, entriesOf } from '../md-model.js'
import { SOAK_KDF, type Writer } from '../writer.js'

const CONCURRENCY = 4
/** The read-back's bound: a minute, and half a second per write to read. */
const BASE_MS = 60_000
const PER_WRITE_MS = 500

export interface ReadBackReport {
  files: number
  mdata: number
  accounts: number
  /** One line per write that did not read back. */
  lost: string[]
}

export async function readBack (writers: readonly Writer[], network: NetworkFile, log: Logger): Promise<ReadBackReport> {
  const options = { network: libp2pNetwork({ ...network, log: log.child({ component: 'reader' }) }) }
  const reader = await createClient(options)
  const writes = writers.reduce((n, w) => n + w.files.length + w.mdata.length + 1, 0)
  const signal = AbortSignal.timeout(BASE_MS + PER_WRITE_MS * writes)
  const lost: string[] = []
  let files = 0
  let mdata = 0
  try {
    for (const writer of writers) {
      await forEachLimited(writer.files, CONCURRENCY, async (file) => {
        files++
        try {
          const hash = createHash('sha256')
          let size = 0
          for await (const piece of reader.getFile(file.address, { signal })) {
            hash.update(piece)
            size += piece.byteLength
          }
          const digest = hash.digest('hex')
          if (digest !== file.sha256) lost.push(`client ${writer.index}: file ${file.address} reads back ${size} bytes with another hash than the ${file.size} written`)
        } catch (err) {
          lost.push(`client ${writer.index}: file ${file.address} (${file.size} bytes) does not read back: ${describe(err)}`)
        }
      })
      await forEachLimited(writer.mdata, CONCURRENCY, async (md) => {
        mdata++
        const accepted = acceptedStates(md)
        try {
          const entries = await reader.listMDataEntries(md, { signal })
          if (!accepted.map(entriesKey).includes(entriesKeyOfList(entries))) {
            lost.push(`client ${writer.index}: MutableData ${md.hex} reads back ${describeEntries(entriesOf(entries))}, expected ${accepted.map(describeEntries).join(' or ')}`)
          }
        } catch (err) {
          lost.push(`client ${writer.index}: MutableData ${md.hex} (${md.writes} acknowledged writes) does not read back: ${describe(err)}`)
        }
      })
    }
  } finally {
    await reader.close()
  }
  for (const writer of writers) {
    try {
      const client = await login({ secret: writer.secret, password: writer.password }, { ...options, kdf: SOAK_KDF, signal, ...(network.salt !== undefined ? { networkSalt: network.salt } : {}) })
      await client.close()
    } catch (err) {
      lost.push(`client ${writer.index}: account ${writer.account} does not log in: ${describe(err)}`)
    }
  }
  return { files, mdata, accounts: writers.length, lost }
}

function describe (err: unknown): string {
  if (err instanceof DOMException && err.name === 'TimeoutError') return 'not read back within the read-back\'s time'
  return isSafeMeshError(err) ? `${err.code} (${err.message})` : (err as Error).message
}
