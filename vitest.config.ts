import { availableParallelism } from 'node:os'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // why one file per core (vitest's default leaves one free: one file at a time on 2 cores): much
    // of the suite is real processes waiting on each other (a sync waiting out a refused or missing
    // peer; membership-processes used 15 s of CPU in 150 s), and a second file runs in that time
    maxWorkers: availableParallelism(),
    globalSetup: ['test/global-setup.ts'],
    setupFiles: ['test/helpers/close-stores.ts'],
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary', 'json-summary'],
      thresholds: { statements: 90 }
    }
  }
})
