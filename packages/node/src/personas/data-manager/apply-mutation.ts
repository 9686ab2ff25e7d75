import {
  SafeMeshError, assertAccountNamePut, assertAppendOnly, assertPublicIdPut, bytesEqual, changeOwner, delUserPermissions, mutateEntries, setUserPermissions, accountNameOf,
  validateNewMutableData, xorNameEquals, type MutableData, type Mutation, type NetworkParams, type Response, type XorName
} from '@safemesh/protocol'

export type MutableDataMutation = Exclude<Mutation, { type: 'PutIData' | 'InsAuthKey' | 'DelAuthKey' | 'TransferCredit' }>

export interface Applied {
  data: MutableData | undefined
  outcome: Response | SafeMeshError
}

/**
 * Applies one MutableData mutation that has the authority of `account`'s
 * Maid-Managers: a pure function of the current replica, so every replica that
 * applies the same mutations in the same order ends in the same state and
 * gives the same answers.
 */
export function applyMutation (data: MutableData | undefined, account: XorName, mutation: MutableDataMutation, params: NetworkParams): Applied {
  try {
    return { data: next(data, account, mutation, params), outcome: { type: mutation.type } }
  } catch (err) {
    if (err instanceof SafeMeshError) return { data, outcome: err }
    throw err
  }
}

function next (data: MutableData | undefined, account: XorName, mutation: MutableDataMutation, params: NetworkParams): MutableData {
  // The Maid-Managers refuse these too; a Data-Manager trusts no single group.
  assertAppendOnly(mutation)
  if (mutation.type === 'PutMData') {
    if (data != null) throw new SafeMeshError('DataExists', 'MutableData with that name and tag exists')
    validateNewMutableData(mutation.data, params)
    assertAccountNamePut(mutation.data)
    assertPublicIdPut(mutation.data)
    // The Maid-Managers checked this too; a Data-Manager trusts no single group.
    if (!xorNameEquals(accountNameOf(mutation.data.owners[0] as Uint8Array), account)) {
      throw new SafeMeshError('InvalidOwners', 'the data\'s owner is not the account that put it')
    }
    return mutation.data
  }
  if (data == null) throw new SafeMeshError('NoSuchData', 'no MutableData with that name and tag')
  switch (mutation.type) {
    case 'MutateMDataEntries':
      return mutateEntries(data, mutation.requester, mutation.actions, params)
    case 'SetMDataUserPermissions':
      return setUserPermissions(data, mutation.requester, mutation.user, mutation.permissions, mutation.version, params)
    case 'DelMDataUserPermissions':
      return delUserPermissions(data, mutation.requester, mutation.user, mutation.version)
    case 'ChangeMDataOwner':
      // The current owner's Maid-Managers must be the ones asking (RFC 48).
      if (!data.owners.some(owner => xorNameEquals(accountNameOf(owner), account)) || !data.owners.some(owner => bytesEqual(owner, mutation.requester))) {
        throw new SafeMeshError('AccessDenied', 'only the data\'s owner may change its owner')
      }
      return changeOwner(data, mutation.requester, mutation.newOwners, mutation.version)
  }
}
