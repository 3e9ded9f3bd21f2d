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
    // peer; membership-processes used 15 s of CPU in 150 s), and a second file runs in that time.
    // More than one per core gained nothing: the whole suite keeps both cores busy (measured: 3
    // workers 738 s using 1408 CPU s; 2 workers, a clean clone's CI run, 729 s).
    maxWorkers: availableParallelism(),
    // why not isolated: each file's fresh module graph cost 142 CPU s of loading (collect) across the
    // 237 files, and ~280 CPU s in all (a run took 1221 CPU s isolated, 942 not; 689 s → 564 s).
    // Files share a worker's modules in turn; none relies on a fresh module's state (the stores a
    // file opens are closed after it: test/helpers/close-stores.ts).
    isolate: false,
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
