/** The flood's own process (flood.ts): `start` with a plan, `finish` for the report. */
import { serve } from '../lib/serve.js'
import { Flood, type FloodPlan } from './flood.js'

let flood: Flood | undefined

serve({
  handlers: {
    start: async (args) => {
      flood = new Flood(args as unknown as FloodPlan)
      await flood.start()
      return null
    },
    finish: async () => {
      const report = await flood?.finish()
      flood = undefined
      return report ?? null
    }
  },
  shutdown: async () => { await flood?.finish() }
})
