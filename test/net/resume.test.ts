import { describe, expect, it } from 'vitest'
import { runKillResume } from '../../bench/sync-resume.js'
import { MAX_WINDOW_BYTES } from '../../src/peer/want-manager.js'
import { MiB } from './helpers.js'

describe('resume after the receiving process is killed', () => {
  it('SIGKILL mid-transfer, restart on the same FileStore: finishes, fetches only what was missing', async () => {
    const assetBytes = 24 * MiB
    const run = await runKillResume({ assetBytes, killAtBytes: 10 * MiB })
    expect(run.identical).toBe(true)
    expect(run.sentBeforeKill).toBeGreaterThanOrEqual(10 * MiB)
    expect(run.sentBeforeKill).toBeLessThan(assetBytes)
    // everything the seeder sent, over both runs: the asset, plus at most what was in flight at the kill
    expect(run.sentBeforeKill + run.sentAfterRestart).toBeLessThanOrEqual(assetBytes * 1.001 + MAX_WINDOW_BYTES)
    expect(run.sentAfterRestart).toBeLessThan(assetBytes - 8 * MiB)
    console.log(`resume: before kill ${(run.sentBeforeKill / MiB).toFixed(1)} MiB, after restart ${(run.sentAfterRestart / MiB).toFixed(1)} MiB, redundancy ${run.redundancy.toFixed(4)}`)
  }, 120_000)
})
