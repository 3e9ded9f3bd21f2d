import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { gasSpawn, gasSync } from '../helpers/cli.js'
import { prng } from '../fixtures/prng.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()


/** Starts a gas command and SIGKILLs it after `ms` (or lets it finish first). */
async function killAfter (cwd: string, args: string[], ms: number): Promise<void> {
  const child = gasSpawn(cwd, args)
  const done = new Promise<void>((resolve) => child.on('exit', () => resolve()))
  const timer = setTimeout(() => child.kill('SIGKILL'), ms)
  await done
  clearTimeout(timer)
}

describe('crash safety', () => {
  it('a SIGKILL at any moment of add or commit leaves a store fsck finds healthy', async () => {
    const dir = tmp()
    expect(gasSync(dir, ['init', '--name', 'crash']).status).toBe(0)
    mkdirSync(join(dir, 'assets'))
    const random = prng(7)
    const files = new Map<string, Buffer>()
    for (let i = 0; i < 6; i++) files.set(`assets/f${i}.bin`, randomBytes(i === 0 ? 48 * 1024 * 1024 : 200_000 + i * 50_000))
    files.set('assets/model.obj', Buffer.from('v 0 0 0\n'.repeat(200_000)))
    for (const [p, b] of files) writeFileSync(join(dir, p), b)
    for (let round = 0; round < 6; round++) {
      // vary the content so every round has new chunks to write
      writeFileSync(join(dir, 'assets', 'f1.bin'), randomBytes(300_000))
      await killAfter(dir, ['add', 'assets'], 80 + Math.floor(random() * 700))
      const fsck = gasSync(dir, ['fsck', '--json'])
      expect(JSON.parse(fsck.stdout)).toMatchObject({ ok: true, problems: [] })
      await killAfter(dir, ['commit', '-m', `round ${round}`], 60 + Math.floor(random() * 250))
      expect(JSON.parse(gasSync(dir, ['fsck', '--json']).stdout)).toMatchObject({ ok: true, problems: [] })
    }
    // After the crashes, the normal workflow completes and restores the exact bytes.
    expect(gasSync(dir, ['add', 'assets']).status).toBe(0)
    const commit = gasSync(dir, ['commit', '-m', 'after crashes', '--json'])
    expect([0, 1]).toContain(commit.status) // 1 when a killed commit had already recorded this tree
    const out = join(dir, 'restored.bin')
    expect(gasSync(dir, ['restore', 'assets/f0.bin', '--version', 'HEAD', '--out', out]).status).toBe(0)
    expect(readFileSync(out).equals(files.get('assets/f0.bin')!)).toBe(true)
    expect(JSON.parse(gasSync(dir, ['fsck', '--json']).stdout).ok).toBe(true)
  }, 120_000)
})
