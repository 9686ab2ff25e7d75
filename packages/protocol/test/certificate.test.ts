import { createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { certifies, isCertified, voteBytes, type DecisionCertificate, type VerifySignature } from '../src/group/certificate.js'
import { bytesToHex } from '../src/xorname.js'

interface Member { key: Uint8Array, secret: KeyObject }

function member (): Member {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const jwk = publicKey.export({ format: 'jwk' })
  return { key: new Uint8Array(Buffer.from(jwk.x as string, 'base64url')), secret: privateKey }
}

const verifyEd25519: VerifySignature = (signature, message, publicKey) => {
  try {
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' })
    return verify(null, message, key, signature)
  } catch {
    return false
  }
}

const G = 8
const Q = 5
const members = Array.from({ length: G + 2 }, member)
const group = members.slice(0, G)
const isMember = (voter: Uint8Array): boolean => group.some(m => bytesToHex(m.key) === bytesToHex(voter))
const name = new Uint8Array(32).fill(7)
const tag = 15000

function certificate (voters: Member[], fields: Partial<Omit<DecisionCertificate, 'votes'>> = {}): DecisionCertificate {
  const base = { seq: 3, round: 0, sequencer: group[0]!.key, requestId: new Uint8Array(32).fill(1), digest: new Uint8Array(32).fill(2), ...fields }
  const signed = voteBytes(name, tag, base.seq, base.round, base.sequencer, base.requestId, base.digest)
  return { ...base, votes: voters.map(v => ({ voter: v.key, signature: new Uint8Array(sign(null, signed, v.secret)) })) }
}

describe('decision certificates: Q members\' signed votes for one step and the replica it leaves', () => {
  it('certifies with Q distinct members\' valid votes, in any order', () => {
    fc.assert(fc.property(fc.shuffledSubarray(group, { minLength: Q, maxLength: G }), voters => {
      expect(isCertified(certificate(voters), name, tag, Q, verifyEd25519, isMember)).toBe(true)
    }), { numRuns: 20 })
  })

  it('never certifies on Q − 1 members, however the rest of the votes are made up', () => {
    fc.assert(fc.property(
      fc.shuffledSubarray(group, { minLength: Q - 1, maxLength: Q - 1 }),
      fc.constantFrom('repeat', 'stranger', 'bad-signature', 'other-digest'),
      (honest, forgery) => {
        const cert = certificate(honest)
        const extra = members.find(m => !honest.includes(m) && isMember(m.key)) as Member
        if (forgery === 'repeat') cert.votes.push(...cert.votes)
        // Strangers: keys outside the group (an attacker's keys, ground anywhere).
        if (forgery === 'stranger') cert.votes.push(...certificate(members.slice(G)).votes)
        if (forgery === 'bad-signature') cert.votes.push({ voter: extra.key, signature: new Uint8Array(64).fill(9) })
        // A member's vote for another replica does not count toward this one.
        if (forgery === 'other-digest') cert.votes.push(...certificate([extra], { digest: new Uint8Array(32).fill(3) }).votes)
        expect(isCertified(cert, name, tag, Q, verifyEd25519, isMember)).toBe(false)
      }), { numRuns: 40 })
  })

  it('binds every field: a certificate moved to another step, ballot, mutation, digest or data is void', () => {
    const cert = certificate(group.slice(0, Q))
    expect(isCertified(cert, name, tag, Q, verifyEd25519, isMember)).toBe(true)
    for (const changed of [{ seq: 4 }, { round: 1 }, { sequencer: group[1]!.key }, { requestId: new Uint8Array(32).fill(5) }, { digest: new Uint8Array(32).fill(6) }]) {
      expect(isCertified({ ...cert, ...changed }, name, tag, Q, verifyEd25519, isMember)).toBe(false)
    }
    expect(isCertified(cert, new Uint8Array(32).fill(8), tag, Q, verifyEd25519, isMember)).toBe(false)
    expect(isCertified(cert, name, tag + 1, Q, verifyEd25519, isMember)).toBe(false)
  })

  it('certifies the replica it names and no other', () => {
    const cert = certificate(group.slice(0, Q))
    expect(certifies(cert, 3, new Uint8Array(32).fill(2))).toBe(true)
    expect(certifies(cert, 4, new Uint8Array(32).fill(2))).toBe(false)
    expect(certifies(cert, 3, new Uint8Array(32).fill(4))).toBe(false)
  })
})
