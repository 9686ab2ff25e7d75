/**
 * Where an account's sharing MutableData are: names anyone derives from the account's ID (its
 * signing key), domain-separated so that no two kinds of data share a name. The rule lives in
 * protocol, where nodes refuse such data at anyone else's name.
 */
export { inboxName, labelled, profileName } from '@safemesh/protocol'
