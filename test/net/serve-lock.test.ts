import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import * as gas from '../../src/index.js'
import { realFs } from '../../src/objects/fs.js'
import { SERVE_LOCK, claimServe, ownServeNote, runningServe } from '../../src/repo/serve-lock.js'
import { gasSync } from '../helpers/cli.js'
import { useTmp } from '../helpers/tmp.js'
import { freePort, startGas } from './processes.js'

const tmp = useTmp()

describe('one `gas serve` per workspace, and the commands beside it know it (real processes)', () => {
  it('a second serve of the workspace is refused naming the first; a sync and `gas status` beside it say the serve is here, not "start one"', async () => {
    const port = await freePort()
    const url = `ws://127.0.0.1:${port}`
    const ana = await gas.init({ dir: tmp(), name: 'ana', team: 'orcs' })
    ana.config = { ...ana.config, trackers: [url] }
    await ana.saveConfig()
    await ana.close()
    const tracker = startGas(tmp(), ['tracker', '--port', String(port)])
    const serve = startGas(ana.root, ['serve'])
    try {
      await tracker.waitFor(/listening/)
      await serve.waitFor(/^announced to /)
      const second = gasSync(ana.root, ['serve'])
      expect(second.status).toBe(1)
      expect(second.stderr).toMatch(new RegExp(`^gas: E_LOCKED: \`gas serve\` pid ${serve.child.pid} \\(since [0-9T:.-]+Z\\) already serves this workspace`))
      // the first one is untouched by the refusal
      expect(serve.child.exitCode).toBeNull()

      const sync = gasSync(ana.root, ['sync', '--once'])
      expect(sync.status).toBe(1)
      expect(sync.stderr).toMatch(/no-other-peer \(the peer it counts is this member's own \(its `gas serve`\), which answered: no other member of the team is online\)/)
      expect(sync.stderr).toMatch(new RegExp(`gas: E_NO_PEERS: .*this workspace's own \`gas serve\` \\(pid ${serve.child.pid}\\) is online and keeps here what members bring it`))
      expect(sync.stderr).not.toMatch(/offline, or no WebRTC path|start `gas serve` on another member's machine/)

      const status = gasSync(ana.root, ['status', '--json'])
      expect(JSON.parse(status.stdout).serve).toEqual({ pid: serve.child.pid, since: expect.stringMatching(/Z$/) })
      expect(gasSync(ana.root, ['status']).stdout).toMatch(new RegExp(`^serving: \`gas serve\` pid ${serve.child.pid} since `, 'm'))

      // a signal ends the serve and lets the workspace go: status says no serve, a new serve starts
      expect(await serve.stop()).toBe(0)
      expect(JSON.parse(gasSync(ana.root, ['status', '--json']).stdout).serve).toBeNull()
    } finally {
      await serve.stop()
      await tracker.stop()
    }
  }, 90_000)

  it('a serve killed without a chance to let go leaves a lock the next serve takes over; a live holder is named', async () => {
    const dir = tmp()
    const ws = await gas.init({ dir, name: 'ana' })
    const holder = spawn('sleep', ['30'])
    try {
      await realFs.writeFile(`${ws.gasDir}/${SERVE_LOCK}`, JSON.stringify({ pid: holder.pid, command: 'gas serve', since: '2026-12-01T10:00:00.000Z', nonce: 'x' }))
      expect((await runningServe(realFs, ws.gasDir))?.pid).toBe(holder.pid)
      expect(await ownServeNote(realFs, ws.gasDir)).toMatch(new RegExp(`own \`gas serve\` \\(pid ${holder.pid}\\)`))
      await expect(claimServe(realFs, ws.gasDir)).rejects.toMatchObject({ code: 'E_LOCKED', data: { serving: true, pid: holder.pid } })
    } finally {
      holder.kill('SIGKILL')
      await new Promise((resolve) => holder.once('exit', resolve))
    }
    // the holder is gone: no serve runs, and claiming takes the stale lock over
    expect(await runningServe(realFs, ws.gasDir)).toBeUndefined()
    expect(await ownServeNote(realFs, ws.gasDir)).toBeUndefined()
    const release = await claimServe(realFs, ws.gasDir, 'gas serve')
    // this process's own claim is not "another serve running"
    expect(await runningServe(realFs, ws.gasDir)).toBeUndefined()
    await expect(claimServe(realFs, ws.gasDir)).rejects.toThrow(/another `gas serve` already serves this workspace/)
    await release()
    await (await claimServe(realFs, ws.gasDir))()
    await ws.close()
  })
})
