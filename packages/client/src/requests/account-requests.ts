/**
 * Requests to an account's Maid-Managers (SPEC §3, §4, §6): every mutation, and the account reads.
 * The same encoded message goes to every member of closeGroup(account); Q identical success
 * replies are success, Q identical refusals (code and details) are that error. A retried mutation is the very
 * same request (same message id): Maid-Managers run a message id once and answer its retries with
 * the first outcome, so a try that succeeded unseen is never applied or charged twice.
 */
import {
  MESSAGE_ID_LENGTH, encodeMessage, isMutation, type AccountReadRequest, type Mutation, type SuccessResponse, type WireReply
} from '@safemesh/protocol'
import { randomBytes } from '@safemesh/crypto'
import { askGroup } from '../quorum/group-quorum.js'
import { withRetries } from '../quorum/retry.js'
import type { ClientContext, RequestOptions } from './request-context.js'

export type MutationBuilder<M extends Mutation> = (messageId: Uint8Array) => M

/** A fresh random message id. */
export function newMessageId (): Uint8Array {
  return randomBytes(MESSAGE_ID_LENGTH)
}

/** Sends a mutation under one new message id, with bounded retries of that same request. */
export async function sendMutation<M extends Mutation> (ctx: ClientContext, build: MutationBuilder<M>, options: RequestOptions = {}): Promise<SuccessResponse<M['type']>> {
  const request = build(newMessageId())
  return await withRetries(ctx.retry, options.signal, async () => await mutateOnce(ctx, request, options))
}

/** One try of a mutation; `Timeout` / `NoQuorum` when the group did not agree. */
export async function mutateOnce<M extends Mutation> (ctx: ClientContext, request: M, options: RequestOptions = {}): Promise<SuccessResponse<M['type']>> {
  return await askAccountGroup(ctx, request, options)
}

/** An account read (GetAccountInfo, ListAuthKeysAndVersion), with bounded retries. */
export async function readAccount<R extends AccountReadRequest> (ctx: ClientContext, request: R, options: RequestOptions = {}): Promise<SuccessResponse<R['type']>> {
  return await withRetries(ctx.retry, options.signal, async () => await askAccountGroup(ctx, request, options))
}

async function askAccountGroup<R extends Mutation | AccountReadRequest> (ctx: ClientContext, request: R, options: RequestOptions): Promise<SuccessResponse<R['type']>> {
  const outcome = await askGroup(ctx.transport, ctx.transport.closeGroup(request.account), encodeMessage(request), {
    quorum: ctx.transport.params.quorum,
    expects: (reply: WireReply) => reply.type === request.type,
    timeout: ctx.timeout,
    deliverToAll: isMutation(request),
    ...(options.signal != null ? { signal: options.signal } : {})
  })
  if (outcome.kind !== 'agreed') throw outcome.error
  return outcome.reply as SuccessResponse<R['type']>
}
