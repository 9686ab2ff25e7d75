/**
 * Append-only MutableData (issue 15, the share log, tag {@link TYPE_TAG_SHARE_LOG}): entries are
 * only ever inserted; nothing updates or deletes one, and its permissions and owner stay as they
 * were created. Enforced by the Maid-Managers before forwarding and by the Data-Managers when
 * applying, so one group's word cannot rewrite the record.
 */
import { SafeMeshError } from '../errors.js'
import type { Mutation } from '../messages/request.js'
import { TYPE_TAG_SHARE_LOG } from './type-tags.js'

export function isAppendOnly (tag: number): boolean {
  return tag === TYPE_TAG_SHARE_LOG
}

/**
 * Refuses `InvalidOperation` what an append-only tag forbids: an entry Update or Delete,
 * Set/DelMDataUserPermissions, ChangeMDataOwner. Entry Inserts and PutMData (permissions are frozen
 * as created) pass, as does every mutation of another tag.
 */
export function assertAppendOnly (mutation: Mutation): void {
  switch (mutation.type) {
    case 'MutateMDataEntries': {
      if (!isAppendOnly(mutation.tag)) return
      const changed = mutation.actions.find(({ action }) => action.kind !== 'Insert')
      if (changed !== undefined) {
        throw refused(mutation.tag, `an entry is inserted, never ${changed.action.kind === 'Update' ? 'updated' : 'deleted'}`)
      }
      return
    }
    case 'SetMDataUserPermissions':
    case 'DelMDataUserPermissions':
      if (isAppendOnly(mutation.tag)) throw refused(mutation.tag, 'its permissions are frozen at creation')
      return
    case 'ChangeMDataOwner':
      if (isAppendOnly(mutation.tag)) throw refused(mutation.tag, 'its owner never changes')
  }
}

function refused (tag: number, why: string): SafeMeshError {
  return new SafeMeshError('InvalidOperation', `MutableData of tag ${tag} is append-only: ${why}`)
}
