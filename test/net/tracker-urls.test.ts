import { describe, expect, it } from 'vitest'
import { reachableHosts } from '../../src/peer/discovery/tracker.js'
import { gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { startGas } from './processes.js'

const tmp = useTmp()

describe('gas tracker tells members where to reach it (real processes)', () => {
  it('prints every reachable URL, loopback last; a member given one is announced to it', async () => {
    const tracker = startGas(tmp(), ['tracker', '--port', '0'])
    try {
      const line = await tracker.waitFor(/^tracker listening on /)
      const m = /^tracker listening on 0\.0\.0\.0:(\d+); members use \(gas team tracker URL\): (.+)$/.exec(line)
      expect(m, line).not.toBeNull()
      const port = Number(m?.[1])
      expect(port).toBeGreaterThan(0)
      const urls = (m?.[2] ?? '').split(/\s+/)
      expect(urls).toEqual(reachableHosts('0.0.0.0').map((h) => `ws://${h}:${port}`))
      expect(urls.at(-1)).toBe(`ws://127.0.0.1:${port}`)

      // a lead on this machine takes the loopback URL as printed (tests reach no other address); its serve says once the tracker has it
      const ana = tmp()
      const local = urls.at(-1) ?? ''
      expect(gasSync(ana, ['init', '--name', 'ana', '--team', 'orcs']).status).toBe(0)
      expect(gasSync(ana, ['team', 'tracker', local]).status).toBe(0)
      const serve = startGas(ana, ['serve', '--no-direct'])
      try {
        expect(await serve.waitFor(/^announced to /)).toBe(`announced to ${local}: 0 other peer(s) of the team online`)
      } finally {
        expect(await serve.stop()).toBe(0)
      }
    } finally {
      await tracker.stop()
    }
  }, 60_000)
})
