import { defineConfig } from 'vitest/config'

// Unit tests live beside each package (packages/<name>/test); tests against real
// multi-process networks live in test/. `vitest run --project <name>` runs one of them.
const unit = (name: string) => ({
  test: {
    name,
    include: [`packages/${name}/test/**/*.test.ts`],
    exclude: ['**/dist/**', '**/node_modules/**'],
    // Some unit tests open real sockets and run while the e2e project's node
    // processes load both cores: a generous limit, never a timing assertion.
    testTimeout: 30_000
  }
})

/**
 * End-to-end files that mostly wait on the network's timeouts (suspicion, retries, withheld
 * votes): a project of their own, one file at a time, beside the CPU-heavy ones, so two e2e files
 * run at once and a wait no longer leaves the machine idle (docs/decisions.md, npm test's time).
 */
const WAITING = [
  'test/authority.test.ts',
  'test/byzantine-accounts.test.ts',
  'test/byzantine-charging.test.ts',
  'test/byzantine-order.test.ts',
  'test/byzantine-replicas.test.ts',
  'test/churn.test.ts',
  'test/close-groups.test.ts',
  'test/malformed-frames.test.ts',
  'test/rogue-caps.test.ts'
]

const e2e = (name: string, files: { include: string[], exclude: string[] }) => ({
  test: {
    name,
    include: files.include,
    exclude: ['**/dist/**', '**/node_modules/**', ...files.exclude],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Each file starts its own multi-process network: one at a time in each e2e project.
    fileParallelism: false
  }
})

export default defineConfig({
  test: {
    projects: [
      unit('crypto'),
      unit('protocol'),
      unit('net'),
      unit('node'),
      unit('client'),
      unit('cli'),
      e2e('e2e', { include: ['test/**/*.test.ts'], exclude: WAITING }),
      e2e('e2e-waiting', { include: WAITING, exclude: [] })
    ]
  }
})
