#!/usr/bin/env node
// A node process loads several hundred ES modules; Node's on-disk compile
// cache roughly halves the CPU a start costs, which matters when a testnet
// starts dozens of nodes on two cores.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
// libp2p's debug loggers (weald) ask whether stderr is a terminal each time one is made, which is
// per connection and stream: 0.6 % of a node's CPU during an upload, in `isatty`. A node's stderr
// is its log; DEBUG_COLORS=yes still turns colours on.
process.env.DEBUG_COLORS ??= 'no'
await import('./node-main.js')
