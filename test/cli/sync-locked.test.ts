import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cliTeam, gasOk, startGas, startGasTracker, startServe, stopGas, type GasCommand } from '../helpers/cli-team.js'
import { useTmp } from '../helpers/tmp.js'

const GAS: GasCommand = () => [process.execPath, resolve('bin/gas')]
const tmp = useTmp()
const children: ChildProcess[] = []
afterEach(async () => { for (const c of children.splice(0)) await stopGas(c) })

describe('gas sync left running, while another command holds the workspace', () => {
  it('waits for the lock to go and tries again (it exited on E_LOCKED); the next round checks the file out', async () => {
    const root = tmp()
    const tracker = await startGasTracker(GAS, root, ['--host', '127.0.0.1', '--port', '0'])
    children.push(tracker.child)
    const [ana, bo] = await cliTeam(root, ['ana', 'bo'], [GAS, GAS], [tracker.printed.url])
    writeFileSync(join(ana, 'notes.txt'), 'first\n')
    await gasOk(GAS, ana, ['add', 'notes.txt'])
    await gasOk(GAS, ana, ['commit', '-m', 'notes'])
    children.push(await startServe(GAS, ana, {}, ['--listen', '127.0.0.1:0'], 'announced to'))

    // a long command of bo's (a `gas restore` of a large file, say) holds his workspace: a live process named in the lock
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 120000)'], { stdio: 'ignore' })
    children.push(holder)
    writeFileSync(join(bo, '.gas', 'workspace.lock'), JSON.stringify({ pid: holder.pid, command: 'gas restore big.pak', since: new Date().toISOString(), nonce: 'test' }))
    const sync = startGas(GAS, bo, ['sync'])
    children.push(sync)
    let err = ''
    sync.stderr?.on('data', (d: Buffer) => { err += d.toString() })
    await vi.waitFor(() => expect(err).toContain('waiting: E_LOCKED: '), { timeout: 60_000, interval: 100 })
    expect(err).toContain(`locked by pid ${String(holder.pid)} (gas restore big.pak)`)
    expect(sync.exitCode).toBe(null)

    // the command ends (its lock is left behind, as a killed one's is: taken over)
    await stopGas(holder)
    await vi.waitFor(() => expect(err).toContain('syncing again every 30 s until Ctrl-C'), { timeout: 60_000, interval: 100 })
    expect(readFileSync(join(bo, 'notes.txt'), 'utf8')).toBe('first\n')
  }, 120_000)
})
