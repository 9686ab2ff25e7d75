/**
 * The soak's bookkeeping (bench/soak): how the mutation ledger classifies what Maid-Managers
 * answered, and that the observed transport sees every mutation a real client sends — checked
 * against an in-memory network whose nodes count their charges.
 */
import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createAccount } from '@safemesh/client'
import { SafeMeshError, misroutedError, randomXorName, xorNameToHex, type Mutation } from '@safemesh/protocol'
import { FakeNetwork } from '../packages/client/test/support/fake-network.js'
import { MutationLedger, answerOf, type MutationRecord } from '../bench/soak/mutation-ledger.js'
import { ObservedNetwork, OperationScope, type ObservedTransport } from '../bench/soak/observed-network.js'

const G = 8

function mutation (): Mutation {
  return { type: 'PutIData', account: randomXorName(), requester: new Uint8Array(32), messageId: new Uint8Array(randomBytes(32)), name: randomXorName(), size: 10 }
}

function answer (ledger: MutationLedger, record: MutationRecord, outcomes: Array<'ok' | 'silent' | SafeMeshError>, offset = 0): void {
  outcomes.forEach((o, i) => {
    ledger.answered(record, `node-${i + offset}`, answerOf(o === 'ok' ? { reply: true } : o === 'silent' ? { error: new SafeMeshError('Timeout') } : { error: o }))
  })
}

describe('the soak\'s mutation ledger', () => {
  it('counts a mutation acknowledged at Q distinct successes, across tries and late answers', () => {
    const ledger = new MutationLedger(G)
    const m = mutation()
    const record = ledger.sent(m)
    answer(ledger, record, ['ok', 'ok', 'ok', 'silent', 'silent', 'silent', 'silent', 'silent'])
    expect(ledger.verdict(record)).toBe('ambiguous')
    // The retry is the same message id: the same record, and the same node twice counts once.
    expect(ledger.sent(m)).toBe(record)
    answer(ledger, record, ['ok'])
    expect(ledger.verdict(record)).toBe('ambiguous')
    answer(ledger, record, ['ok', 'ok'], 3)
    expect(ledger.verdict(record)).toBe('acknowledged')
    expect(record.acknowledgedAt).toBeTypeOf('number')
  })

  it('counts a mutation refused only when Q give the same final refusal and none succeeded', () => {
    const ledger = new MutationLedger(G)
    const refused = ledger.sent(mutation())
    answer(ledger, refused, Array(5).fill(new SafeMeshError('InvalidSuccessor', 'no', { current: 1 })))
    expect(ledger.verdict(refused)).toBe('refused')

    // Not verdicts on the request: the group could not finish, or the client asked the wrong nodes.
    for (const error of [new SafeMeshError('NoQuorum'), misroutedError('data'), new SafeMeshError('Timeout')]) {
      const record = ledger.sent(mutation())
      answer(ledger, record, Array(G).fill(error))
      expect(ledger.verdict(record), error.message).toBe('ambiguous')
    }

    // One success among the refusals: some Maid-Manager may have charged it.
    const mixed = ledger.sent(mutation())
    answer(ledger, mixed, ['ok', ...Array(6).fill(new SafeMeshError('EntryExists', 'no', { current: 0 }))])
    expect(ledger.verdict(mixed)).toBe('ambiguous')

    // Refusals with different codes never make a quorum.
    const split = ledger.sent(mutation())
    answer(ledger, split, [...Array(4).fill(new SafeMeshError('AccessDenied')), ...Array(4).fill(new SafeMeshError('LowBalance'))])
    expect(ledger.verdict(split)).toBe('ambiguous')
  })
})

describe('the soak\'s observed network', () => {
  it('sees every mutation a real client sends, as many as the nodes charge, and the chunks each operation offers', async () => {
    const fake = new FakeNetwork({ nodes: 10, groupSize: G, forwardWait: 5_000 })
    const ledger = new MutationLedger(G)
    const network = new ObservedNetwork(fake, ledger)
    const client = await createAccount({ secret: `secret ${Math.random()}`, password: 'soak password: cobalt fern 72' }, { network, kdf: { opsLimit: 1, memLimit: 8 * 1024 }, requestTimeout: 1_000 })
    const transport = network.transports.at(-1) as ObservedTransport
    const account = xorNameToHex(client.account as Uint8Array)

    const scope = new OperationScope()
    transport.scope = scope
    const content = new Uint8Array(randomBytes(20_000))
    const put = await client.putFile([content])
    transport.scope = undefined
    // Three chunks and the data map, each offered and paid for once.
    expect(scope.offered.size).toBe(4)
    expect(scope.offered.has(put.address)).toBe(true)
    expect(scope.messageIds.size).toBe(4)

    // The same file again: every chunk already stored, nothing charged, nothing to count.
    await client.putFile([content])
    const md = await client.createMData({ tag: 31_000, entries: [{ key: new Uint8Array([1]), content: new Uint8Array([2]) }] })
    await client.mutateMDataEntries(md, [{ key: new Uint8Array([1]), action: { kind: 'Update', content: new Uint8Array([3]), version: 1 } }])
    // Refused (a wrong version): answered, not charged.
    await expect(client.mutateMDataEntries(md, [{ key: new Uint8Array([1]), action: { kind: 'Update', content: new Uint8Array([4]), version: 1 } }])).rejects.toThrow()

    const counts = ledger.ofAccount(account)
    // The session packet, the nine MutableData of its containers (SPEC §9), its profile, inbox and share log, the file, the MutableData and its update.
    expect(counts).toEqual({ acknowledged: 13 + 4 + 1 + 1, refused: 1, ambiguous: 0 })
    const charged = fake.closeGroup(client.account as Uint8Array).map(node => node.accounts.get(account)?.mutationsDone)
    expect(charged).toEqual(Array(G).fill(counts.acknowledged))
    await client.close()
  })
})
