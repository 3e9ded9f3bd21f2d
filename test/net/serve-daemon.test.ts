import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { createInvite, joinTeam } from '../../src/auth/invite.js'
import { TRACKER_RETRY_MAX_MS, trackerRetryDelayMs } from '../../src/peer/discovery/discovery.js'
import { gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { freePort, startGas } from './processes.js'

const tmp = useTmp()

describe('gas serve is a daemon; discovery survives the tracker (real processes)', () => {
  it('survives a tracker down at start and a tracker restart on the same port, says so once per outage, and is found again', async () => {
    const port = await freePort()
    const url = `ws://127.0.0.1:${port}`
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [url] }
    await ana.saveConfig()
    const bo = await gas.init({ dir: tmp(), name: 'bo' })
    // a lead fetches all content (the artist preset would leave .txt and .bin files out)
    await joinTeam(bo, JSON.stringify(await createInvite(ana, { publicKey: bo.identity.publicKey, name: 'bo', roles: ['lead'] })))
    writeFileSync(join(ana.root, 'rock.txt'), 'granite')
    await gas.add(ana, { paths: [ana.root] })
    const v1 = await gas.commit(ana, { message: 'rock' })
    await ana.close()
    await bo.close()

    const serve = startGas(ana.root, ['serve'])
    const syncLoop = startGas(bo.root, ['sync'])
    let tracker = startGas(tmp(), ['tracker', '--port', String(port)])
    try {
      // before the tracker: the serve stays up and names the cause; the sync loop says what it waits for
      await tracker.stop()
      await serve.waitFor(/^tracker ws:\/\/127\.0\.0\.1:\d+ down \(unreachable: connection refused/)
      await syncLoop.waitFor(/^waiting: E_NO_PEERS: no peer to sync with: .*unreachable/)
      expect(serve.child.exitCode).toBeNull()

      tracker = startGas(tmp(), ['tracker', '--port', String(port)])
      await tracker.waitFor(/listening/)
      await serve.waitFor(/reachable again/)
      // once the tracker answered its announce, serve says so: from then on a sync is introduced to it
      await serve.waitFor(/^announced to ws:\/\/127\.0\.0\.1:\d+: [01] other peer\(s\) of the team online/)
      // the loop tries again by itself and completes
      await syncLoop.waitFor(/^1 peer\(s\) \(ana\)/, 40_000)
      expect(await syncLoop.stop()).toBe(0)
      expect(readFileSync(join(bo.root, 'rock.txt'), 'utf8')).toBe('granite')

      // the tracker restarts on the same port: the running serve announces again by itself
      await tracker.stop()
      await serve.waitFor(/ down \(/, 30_000, 2)
      tracker = startGas(tmp(), ['tracker', '--port', String(port)])
      await tracker.waitFor(/listening/)
      const restarted = performance.now()
      await serve.waitFor(/reachable again/, 30_000, 2)
      const visibleAfterMs = performance.now() - restarted
      process.stderr.write(`serve visible again ${Math.round(visibleAfterMs)} ms after the tracker restart\n`)
      const r = gasSync(bo.root, ['sync', '--once', '--json'])
      expect(r.status, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout)).toMatchObject({ complete: true, peers: 1, asked: ['ana'] })
      expect(serve.child.exitCode).toBeNull()
      // said once per outage, not once per retry
      expect(serve.lines.filter((l) => / down \(/.test(l))).toHaveLength(2)
      expect(serve.lines.filter((l) => /^announced to /.test(l))).toHaveLength(1)
      const boWs = await gas.open({ dir: bo.root })
      expect(await boWs.head()).toBe(v1)
      await boWs.close()
      // a signal is the normal end
      expect(await serve.stop()).toBe(0)
    } finally {
      await syncLoop.stop()
      await tracker.stop()
      await serve.stop()
    }
  }, 180_000)

  it('reconnects to a tracker within TRACKER_RETRY_MAX_MS (+25 % jitter) whatever the number of failed tries, so a restarted tracker sees it again within 5 s', () => {
    const delays = Array.from({ length: 40 }, (_, retries) => [trackerRetryDelayMs(retries, 0), trackerRetryDelayMs(retries, 1)]).flat()
    expect(Math.max(...delays)).toBeLessThanOrEqual(TRACKER_RETRY_MAX_MS * 1.25)
    expect(TRACKER_RETRY_MAX_MS * 1.25).toBeLessThan(5_000)
    expect(trackerRetryDelayMs(0, 0.5)).toBeLessThan(trackerRetryDelayMs(2, 0.5))
  })

  it('a serve that cannot start names why and exits 1', async () => {
    const dir = tmp()
    const serve = startGas(dir, ['serve'])
    expect(await serve.exited).toBe(1)
    expect(serve.lines.join('\n')).toMatch(/^gas: E_NOT_A_WORKSPACE: /m)
  })
})
