import type { ActionContext } from './action-context.js'

/** A command's handler: the context, then commander's positional arguments and the command's options. */
export type ActionHandler = (ctx: ActionContext, ...args: never[]) => Promise<void>

/** Wraps a handler as a commander action. */
export type ActionRunner = (handler: ActionHandler) => (...args: unknown[]) => Promise<void>
