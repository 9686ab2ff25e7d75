import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  TYPE_TAG_INBOX, TYPE_TAG_PROFILE, TYPE_TAG_SHARE_ENVELOPE, TYPE_TAG_SHARE_LOG, assertAccountNamePut, inboxName, isSafeMeshError,
  newMutableData, profileName, shareLogKey, shareLogName, shareLogSegmentName, type MutableData
} from '../src/index.js'

const key = fc.uint8Array({ minLength: 32, maxLength: 32 })

function refusal (data: MutableData): string | undefined {
  try {
    assertAccountNamePut(data)
    return undefined
  } catch (err) {
    if (isSafeMeshError(err)) return err.code
    throw err
  }
}

describe('sharing data only at its owner\'s own names', () => {
  it('stores a profile, an inbox and a log at the owner\'s names, and refuses them anywhere else', () => {
    fc.assert(fc.property(key, key, (owner, other) => {
      fc.pre(Buffer.compare(Buffer.from(owner), Buffer.from(other)) !== 0)
      const at = (name: Uint8Array, tag: number, entries: Array<{ key: Uint8Array, content: Uint8Array }> = []): MutableData => newMutableData({ name, tag, owners: [owner], entries })
      expect(refusal(at(profileName(owner), TYPE_TAG_PROFILE))).toBeUndefined()
      expect(refusal(at(inboxName(owner), TYPE_TAG_INBOX))).toBeUndefined()
      expect(refusal(at(shareLogName(owner), TYPE_TAG_SHARE_LOG))).toBeUndefined()
      expect(refusal(at(shareLogSegmentName(owner, 1000), TYPE_TAG_SHARE_LOG, [{ key: shareLogKey(1000), content: new Uint8Array(1) }]))).toBeUndefined()
      // A squatter owning data at someone else's names, or a kind at another kind's name.
      expect(refusal(at(profileName(other), TYPE_TAG_PROFILE))).toBe('InvalidOperation')
      expect(refusal(at(inboxName(other), TYPE_TAG_INBOX))).toBe('InvalidOperation')
      expect(refusal(at(shareLogName(other), TYPE_TAG_SHARE_LOG))).toBe('InvalidOperation')
      expect(refusal(at(inboxName(owner), TYPE_TAG_PROFILE))).toBe('InvalidOperation')
      expect(refusal(at(profileName(owner), TYPE_TAG_INBOX))).toBe('InvalidOperation')
      // Other tags choose their names freely.
      expect(refusal(at(other, TYPE_TAG_SHARE_ENVELOPE))).toBeUndefined()
      expect(refusal(at(other, 20_000))).toBeUndefined()
    }), { numRuns: 50 })
  })
})
