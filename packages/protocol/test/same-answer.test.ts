import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ERROR_CODES, SafeMeshError, answerKey, entryExists, invalidSuccessor, misroutedError } from '../src/index.js'

const code = fc.constantFrom(...ERROR_CODES.filter(c => c !== 'EntryExists' && c !== 'InvalidSuccessor' && c !== 'InvalidEntryActions'))
const message = fc.string({ maxLength: 40 })
const version = fc.nat({ max: 2 ** 40 })

describe('answerKey: SPEC §6\'s "the same answer", one rule for node and client', () => {
  it('counts refusals with one code and no details as the same, whatever their messages', () => {
    fc.assert(fc.property(code, message, message, (c, a, b) => {
      expect(answerKey({ error: new SafeMeshError(c, a) })).toBe(answerKey({ error: new SafeMeshError(c, b) }))
    }))
  })

  it('tells refusals apart by code', () => {
    fc.assert(fc.property(code, code, message, (a, b, m) => {
      fc.pre(a !== b)
      expect(answerKey({ error: new SafeMeshError(a, m) })).not.toBe(answerKey({ error: new SafeMeshError(b, m) }))
    }))
  })

  it('tells refusals apart by details: a minority\'s other current version is another answer', () => {
    fc.assert(fc.property(version, version, message, message, (v, w, a, b) => {
      const same = answerKey({ error: invalidSuccessor(v, a) }) === answerKey({ error: invalidSuccessor(w, b) })
      expect(same).toBe(v === w)
      expect(answerKey({ error: entryExists(v, a) }) === answerKey({ error: entryExists(w, b) })).toBe(v === w)
      expect(answerKey({ error: entryExists(v, a) })).not.toBe(answerKey({ error: invalidSuccessor(v, a) }))
    }))
    expect(answerKey({ error: misroutedError('data') })).not.toBe(answerKey({ error: new SafeMeshError('InvalidRequest') }))
    expect(answerKey({ error: misroutedError('data') })).not.toBe(answerKey({ error: misroutedError('account') }))
  })

  it('counts replies as the same exactly when their canonical encodings are equal', () => {
    fc.assert(fc.property(version, version, (v, w) => {
      const a = answerKey({ reply: { type: 'GetMDataVersion', version: v } })
      const b = answerKey({ reply: { type: 'GetMDataVersion', version: w } })
      expect(a === b).toBe(v === w)
      expect(a).not.toBe(answerKey({ error: invalidSuccessor(v) }))
    }))
  })
})
