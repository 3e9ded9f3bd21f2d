import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasSpawn, gasSync } from '../helpers/cli.js'
import { prng } from '../fixtures/prng.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()

const packLocks = (dir: string): string[] => {
  const packDir = join(dir, '.gas', 'objects', 'pack')
  return existsSync(packDir) ? readdirSync(packDir).filter((n) => n.endsWith('.lock')) : []
}

/**
 * Starts `gas add`, waits until its pack writer is at work (its pack's .lock appeared: chunks are
 * being appended), then SIGKILLs it `extraMs` later. Says whether the kill landed while that
 * pack was still being written (the lock still there when the signal went).
 */
async function killMidWrite (cwd: string, args: string[], extraMs: number): Promise<{ killedMidWrite: boolean, status: number | null }> {
  const before = new Set(packLocks(cwd))
  const child = gasSpawn(cwd, args)
  let exited = false
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => { exited = true; resolve(code) }))
  let killedMidWrite = false
  for (;;) {
    if (exited) break
    const mine = packLocks(cwd).filter((n) => !before.has(n))
    if (mine.length > 0) {
      await new Promise((resolve) => setTimeout(resolve, extraMs))
      const stillWriting = packLocks(cwd).some((n) => mine.includes(n))
      if (!exited && stillWriting) { killedMidWrite = child.kill('SIGKILL') }
      break
    }
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  const status = await done
  return { killedMidWrite: killedMidWrite && status === null, status }
}

/** Starts a command and SIGKILLs it after `ms` unless it finished first. */
async function killAfter (cwd: string, args: string[], ms: number): Promise<void> {
  const child = gasSpawn(cwd, args)
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  await done
  clearTimeout(timer)
}

const versionsOf = (dir: string): string[] => {
  const r = gasSync(dir, ['log', '--json'])
  return r.status === 0 ? (JSON.parse(r.stdout).versions as Array<{ id: string }>).map((v) => v.id) : []
}

describe('crash safety', () => {
  it('a SIGKILL in the middle of writing a pack (add) or at any moment of commit leaves a store fsck finds healthy, and no version is lost', async () => {
    const dir = tmp()
    expect(gasSync(dir, ['init', '--name', 'crash']).status).toBe(0)
    mkdirSync(join(dir, 'assets'))
    const random = prng(7)
    const files = new Map<string, Buffer>()
    for (let i = 0; i < 6; i++) files.set(`assets/f${i}.bin`, randomBytes(200_000 + i * 50_000))
    files.set('assets/model.obj', Buffer.from('v 0 0 0\n'.repeat(200_000)))
    for (const [p, b] of files) writeFileSync(join(dir, p), b)
    const committed = new Set<string>()
    let midWrite = 0
    const rounds = 4
    for (let round = 0; round < rounds; round++) {
      // a large new file every round: the add has many MiB of chunks to append when it is killed
      files.set('assets/f0.bin', randomBytes(24 * 1024 * 1024))
      writeFileSync(join(dir, 'assets', 'f0.bin'), files.get('assets/f0.bin')!)
      const add = await killMidWrite(dir, ['add', 'assets'], Math.floor(random() * 40))
      if (add.killedMidWrite) midWrite++
      const fsck = gasSync(dir, ['fsck', '--json'])
      expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, problems: [] })
      await killAfter(dir, ['commit', '-m', `round ${round}`], 60 + Math.floor(random() * 400))
      expect(JSON.parse(gasSync(dir, ['fsck', '--json']).stdout)).toMatchObject({ ok: true, problems: [] })
      const now = versionsOf(dir)
      for (const v of committed) expect(now).toContain(v)
      for (const v of now) committed.add(v)
    }
    // the kills did land while a pack was being written, in most rounds (a 24 MiB add takes far longer than the delay)
    expect(midWrite).toBeGreaterThanOrEqual(rounds - 1)
    // After the crashes, the normal workflow completes (something new is staged, so the commit must succeed) and restores the exact bytes.
    writeFileSync(join(dir, 'assets', 'after.bin'), randomBytes(1000))
    expect(gasSync(dir, ['add', 'assets']).status).toBe(0)
    const commit = gasSync(dir, ['commit', '-m', 'after crashes', '--json'])
    expect(commit.stderr).toBe('')
    expect(commit.status).toBe(0)
    const out = join(dir, 'restored.bin')
    expect(gasSync(dir, ['restore', 'assets/f0.bin', '--version', 'HEAD', '--out', out]).status).toBe(0)
    expect(readFileSync(out).equals(files.get('assets/f0.bin')!)).toBe(true)
    expect(JSON.parse(gasSync(dir, ['fsck', '--json']).stdout).ok).toBe(true)
    const final = versionsOf(dir)
    for (const v of committed) expect(final).toContain(v)
  }, 180_000)
})
