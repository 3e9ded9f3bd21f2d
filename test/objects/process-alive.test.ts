import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { join } from 'node:path'
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { isProcessAlive } from '../../src/objects/process-alive.js'
import { acquireWorkspaceLock } from '../../src/repo/workspace-lock.js'
import { realFs } from '../../src/objects/fs.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

describe('whether a process runs', () => {
  it.runIf(process.platform === 'linux')('a killed process its parent has not reaped (a zombie) does not: its workspace lock is taken over', async () => {
    // the shell forks a sleeper and becomes a second one, which never reaps the first
    const parent = spawn('sh', ['-c', 'sleep 60 & echo $!; exec sleep 60'], { stdio: ['ignore', 'pipe', 'ignore'] })
    try {
      const [line] = await once(createInterface({ input: parent.stdout }), 'line') as [string]
      const pid = Number(line)
      expect(isProcessAlive(pid)).toBe(true)
      // why: killed before the shell became the second sleeper, the child was reaped by the shell (ESRCH, seen once in CI)
      for (let i = 0; i < 200 && readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) await new Promise((resolve) => setTimeout(resolve, 10))
      process.kill(pid, 'SIGKILL')
      // killed, still in the process table (kill(pid, 0) succeeds) until its parent reaps it
      for (let i = 0; i < 100 && isProcessAlive(pid); i++) await new Promise((resolve) => setTimeout(resolve, 10))
      expect(() => process.kill(pid, 0)).not.toThrow()
      expect(isProcessAlive(pid)).toBe(false)
      const gasDir = tmp()
      writeFileSync(join(gasDir, 'workspace.lock'), JSON.stringify({ pid, command: 'gas sync', since: new Date().toISOString(), nonce: 'x' }))
      const release = await acquireWorkspaceLock(realFs, gasDir, { waitMs: 0 })
      await release()
    } finally {
      parent.kill('SIGKILL')
    }
    expect(isProcessAlive(process.pid)).toBe(true)
    expect(isProcessAlive(0)).toBe(false)
    expect(isProcessAlive(2 ** 22 + 7)).toBe(false)
  })
})
