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
 * The end-to-end files that keep the CPU busy (big uploads, the soak, 12-node sharing): a project
 * of their own, one file at a time, beside the other e2e files (mostly waiting on the network's
 * timeouts), so two e2e files run at once and a wait no longer leaves the machine idle
 * (docs/decisions.md, npm test's time). Run one file with `npx vitest run test/x.test.ts`.
 */
const HEAVY = [
  'test/nfs.test.ts',
  'test/client.test.ts',
  'test/soak.test.ts',
  'test/managers.test.ts',
  'test/seed-story.test.ts',
  'test/testnet-lifecycle.test.ts',
  'test/strangers.test.ts',
  'test/charging.test.ts'
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
      e2e('e2e', { include: ['test/**/*.test.ts'], exclude: HEAVY }),
      e2e('e2e-heavy', { include: HEAVY, exclude: [] })
    ]
  }
})
