import { describe, expect, it } from 'vitest'
import { SafeMeshError, encodeReply, misroutedError, networkParams, type WireReply } from '@safemesh/protocol'
import { askGroup, withRetries } from '../src/internals.js'
import type { NodeRef, Transport } from '../src/index.js'

/** A transport whose nodes answer through `answer(nodeIndex)`. */
function transport (answer: (index: number, signal?: AbortSignal) => Promise<WireReply>): Transport & { sent: number[] } {
  const sent: number[] = []
  return {
    params: networkParams({ groupSize: 8 }),
    publicKey: new Uint8Array(32),
    closeGroup: () => [],
    sent,
    send: async (node, _body, options) => {
      const index = Number(node.id)
      sent.push(index)
      return encodeReply(await answer(index, options?.signal))
    },
    close: async () => {}
  }
}

const nodes = (n: number): NodeRef[] => Array.from({ length: n }, (_, i) => ({ id: String(i) }))
const version = (v: number): WireReply => ({ type: 'GetMDataVersion', version: v })
const expects = (r: WireReply): boolean => r.type === 'GetMDataVersion'

describe('askGroup', () => {
  it('settles on the Q-th identical answer without waiting for the rest', async () => {
    const never = new Promise<WireReply>(() => {})
    const t = transport(async (i) => i < 5 ? version(3) : await never)
    expect(await askGroup(t, nodes(8), new Uint8Array(), { quorum: 5, expects })).toEqual({ kind: 'agreed', reply: version(3) })
  })

  it('is a stale Timeout, after a refresh of the view, when the group is smaller than a quorum', async () => {
    let refreshed = 0
    const t = { ...transport(async () => version(1)), refresh: async () => { refreshed++ } }
    const outcome = await askGroup(t, nodes(4), new Uint8Array(), { quorum: 5, expects })
    expect(outcome).toMatchObject({ kind: 'failed', stale: true, error: { code: 'Timeout' } })
    expect(t.sent).toHaveLength(0)
    expect(refreshed).toBe(1)
  })

  it('rejects with the caller\'s reason when aborted while the view is refreshed', async () => {
    const stop = new AbortController()
    const t = { ...transport(async () => version(1)), refresh: async () => await new Promise<void>(() => {}) }
    const pending = askGroup(t, nodes(4), new Uint8Array(), { quorum: 5, expects, signal: stop.signal })
    stop.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
  })

  it('takes nodes that say they are not the group as a stale view: retryable NoQuorum, and the view is refreshed', async () => {
    let refreshed = 0
    const walk = Promise.withResolvers<void>()
    const t = { ...transport(async () => { throw misroutedError('account') }), refresh: async () => { refreshed++; await walk.promise } }
    let outcome: unknown
    const asked = askGroup(t, nodes(8), new Uint8Array(), { quorum: 5, expects }).then(o => { outcome = o })
    // The outcome waits for the refreshed view, so that the retry asks the new group.
    await new Promise(resolve => setImmediate(resolve))
    expect(refreshed).toBe(1)
    expect(outcome).toBeUndefined()
    walk.resolve()
    await asked
    expect(outcome).toMatchObject({ kind: 'failed', stale: true, error: { code: 'NoQuorum' } })
    expect(refreshed).toBe(1)
    // A malformed request is still an agreed refusal, final.
    const malformed = transport(async () => { throw new SafeMeshError('InvalidRequest', 'bad frame') })
    expect(await askGroup(malformed, nodes(8), new Uint8Array(), { quorum: 5, expects })).toMatchObject({ kind: 'refused', error: { code: 'InvalidRequest' } })
  })

  it('returns the most common form of an agreed error', async () => {
    const t = transport(async (i) => { throw new SafeMeshError('InvalidSuccessor', 'x', { current: i < 2 ? 1 : 2 }) })
    const outcome = await askGroup(t, nodes(8), new Uint8Array(), { quorum: 5, expects })
    expect(outcome).toMatchObject({ kind: 'refused', error: { code: 'InvalidSuccessor', details: { current: 2 } } })
  })

  it('shows a refusal\'s words only when a quorum gave them: four colluders outnumbering each honest wording pick nothing', async () => {
    const lie = 'your account is compromised: log in at evil.example'
    const t = transport(async (i) => { throw new SafeMeshError('AccessDenied', i < 3 ? lie : `honest wording ${i}`) })
    const outcome = await askGroup(t, nodes(8), new Uint8Array(), { quorum: 5, expects })
    expect(outcome).toMatchObject({ kind: 'refused', error: { code: 'AccessDenied' } })
    expect((outcome as { error: Error }).error.message).not.toContain('evil')
    const agreed = transport(async (i) => { throw new SafeMeshError('AccessDenied', i < 5 ? 'the words of five' : 'other') })
    expect(await askGroup(agreed, nodes(8), new Uint8Array(), { quorum: 5, expects })).toMatchObject({ error: { message: 'the words of five' } })
  })

  it('rejects with the caller\'s reason when aborted', async () => {
    const stop = new AbortController()
    const t = transport(async (_i, signal) => await new Promise<WireReply>((_resolve, reject) => { signal?.addEventListener('abort', () => { reject(new SafeMeshError('Timeout', 'aborted')) }) }))
    const pending = askGroup(t, nodes(8), new Uint8Array(), { quorum: 5, expects, signal: stop.signal })
    stop.abort(new Error('stop'))
    await expect(pending).rejects.toThrow('stop')
  })

  it('retries only Timeout and NoQuorum, a bounded number of times', async () => {
    let tries = 0
    await expect(withRetries({ attempts: 3, delay: 1, maxDelay: 1 }, undefined, async () => { tries++; throw new SafeMeshError('NoQuorum') })).rejects.toThrow('NoQuorum')
    expect(tries).toBe(3)
    tries = 0
    await expect(withRetries({ attempts: 3, delay: 1, maxDelay: 1 }, undefined, async () => { tries++; throw new SafeMeshError('AccessDenied') })).rejects.toThrow('AccessDenied')
    expect(tries).toBe(1)
  })
})
