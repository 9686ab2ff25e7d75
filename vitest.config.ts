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

export default defineConfig({
  test: {
    projects: [
      unit('crypto'),
      unit('protocol'),
      unit('net'),
      unit('node'),
      unit('client'),
      unit('cli'),
      unit('gateway'),
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.test.ts'],
          exclude: ['**/dist/**', '**/node_modules/**'],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // Each file starts its own multi-process network; two at once would
          // starve a 2-core machine and make timings meaningless.
          fileParallelism: false
        }
      }
    ]
  }
})
