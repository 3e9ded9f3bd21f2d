import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { ChildProcess } from 'node:child_process'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cliTeam, gasOk, startGas, startGasTracker, startServe, stopGas, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'
import { mountTmpfs } from '../helpers/tmpfs.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

describe('gas sync left running, on a disk that fills up', () => {
  it('waits and tries again (it exited), and completes once space is freed: identical bytes, a clean store', async (ctx) => {
    const root = tmp()
    const disk = mountTmpfs(root, '24m')
    if (disk === undefined) return ctx.skip() // mounting needs root
    try {
      const tracker = await startGasTracker(GAS, root, ['--host', '127.0.0.1', '--port', '0'])
      children.push(tracker.child)
      // bo lives on the small disk
      const [ana, bo] = await cliTeam(root, ['ana', join(disk.path, 'bo')], [GAS, GAS], [tracker.printed.url])
      // 40 MB do not fit in bo's 24 MB disk
      const level = randomBytes(40 * 1024 * 1024)
      writeFileSync(join(ana, 'level.pak'), level)
      await gasOk(GAS, ana, ['add', 'level.pak'])
      await gasOk(GAS, ana, ['commit', '-m', 'level'])
      children.push(await startServe(GAS, ana, {}, ['--listen', '127.0.0.1:0'], 'announced to'))

      const sync = startGas(GAS, bo, ['sync'])
      children.push(sync)
      let err = ''
      sync.stderr?.on('data', (d: Buffer) => { err += d.toString() })
      await vi.waitFor(() => expect(err).toContain('waiting: E_DISK_FULL: '), { timeout: 60_000, interval: 100 })
      expect(err).toMatch(/waiting: E_DISK_FULL: .*disk full; free space and retry.*; trying again, first in 5 s/)
      expect(sync.exitCode).toBe(null)

      // a second try fails the same way (5 s later), and is not said again
      await new Promise((resolve) => setTimeout(resolve, 8000))
      expect(err.match(/waiting: E_DISK_FULL/g)).toHaveLength(1)
      // space is freed: the next round fetches what is missing and checks the file out
      disk.resize('160m')
      await vi.waitFor(() => expect(err).toContain('syncing again every 30 s until Ctrl-C'), { timeout: 60_000, interval: 100 })
      expect(readFileSync(join(bo, 'level.pak')).equals(level)).toBe(true)
      await stopGas(sync)
      expect(await gasOk(GAS, bo, ['fsck', '--json'])).toMatchObject({ ok: true })
    } finally {
      for (const c of children.splice(0)) await stopGas(c)
      disk.unmount()
    }
  }, 120_000)
})
