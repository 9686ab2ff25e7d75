#!/usr/bin/env node
// A node process loads several hundred ES modules; Node's on-disk compile
// cache roughly halves the CPU a start costs, which matters when a testnet
// starts dozens of nodes on two cores.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
await import('./node-main.js')
