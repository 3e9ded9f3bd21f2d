import { describe, expect, it } from 'vitest'
import { runKillResume } from '../../bench/sync-resume.js'
import { MAX_ALLOWANCE_WINDOW_BYTES, MAX_WINDOW_BYTES } from '../../src/peer/session/want-manager.js'
import { MAX_VERIFY_BACKLOG_BYTES } from '../../src/peer/swarm/swarm-options.js'
import { DIRECT_BATCH_BYTES } from '../../src/pack/direct-pack-batch.js'
import { MiB } from './helpers.js'

describe('resume after the receiving process is killed', () => {
  it('SIGKILL mid-transfer, restart on the same FileStore: finishes, fetches only what was missing', async () => {
    const assetBytes = 32 * MiB
    const killAt = 16 * MiB
    const run = await runKillResume({ assetBytes, killAtBytes: killAt })
    expect(run.identical).toBe(true)
    expect(run.sentBeforeKill).toBeGreaterThanOrEqual(killAt)
    expect(run.sentBeforeKill).toBeLessThan(assetBytes)
    // everything the seeder sent, over both runs: the asset, plus at most what was in flight at the kill
    expect(run.sentBeforeKill + run.sentAfterRestart).toBeLessThanOrEqual(assetBytes * 1.001 + MAX_WINDOW_BYTES)
    // what was stored before the kill is not fetched again: only the rest, plus what was in flight
    // (the window's allowance), what waited for verification, and the pack writer's unwritten batch
    expect(run.sentAfterRestart).toBeLessThanOrEqual(assetBytes - killAt + MAX_ALLOWANCE_WINDOW_BYTES + MAX_VERIFY_BACKLOG_BYTES + DIRECT_BATCH_BYTES)
    console.log(`resume: before kill ${(run.sentBeforeKill / MiB).toFixed(1)} MiB, after restart ${(run.sentAfterRestart / MiB).toFixed(1)} MiB, redundancy ${run.redundancy.toFixed(4)}`)
  }, 120_000)
})
