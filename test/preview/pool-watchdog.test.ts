import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { makeWav } from '../fixtures/audio.js'
import { GAS_BIN } from '../helpers/cli.js'

/**
 * The preview workers' time limit, through real `gas` processes: a preview that does not finish
 * in time (here forced with GAS_PREVIEW_TIMEOUT_MS=1) stops its worker, the asset is stored all
 * the same, and `gas preview` shows the reason. Without the override the same file previews.
 */
const dir = mkdtempSync(join(tmpdir(), 'gas-pool-watchdog-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

function gas (args: string[], env: Record<string, string> = {}): { status: number, stdout: string, stderr: string } {
  const r = spawnSync(process.execPath, [GAS_BIN, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } })
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr }
}

describe('preview worker time limit', () => {
  it('a preview over the limit is E_NO_PREVIEW with the reason; the asset is added and gas add ends', () => {
    expect(gas(['init', '--name', 'ana']).status).toBe(0)
    writeFileSync(join(dir, 'long.wav'), makeWav({ seconds: 20, sampleRate: 44100, channels: 2, bitDepth: 16 }).bytes)
    const added = gas(['add', 'long.wav'], { GAS_PREVIEW_TIMEOUT_MS: '1' })
    expect(added.status, added.stderr).toBe(0)
    expect(gas(['commit', '-m', 'long take']).status).toBe(0)
    const shown = gas(['preview', 'long.wav'])
    expect(shown.status).toBe(1)
    expect(shown.stderr).toMatch(/^gas: E_NO_PREVIEW: long\.wav: preview generation stopped after 0\.001 s \(the wav decoder did not finish on this file\)/m)

    writeFileSync(join(dir, 'long2.wav'), makeWav({ seconds: 20, sampleRate: 44100, channels: 2, bitDepth: 16 }).bytes)
    expect(gas(['add', 'long2.wav']).status).toBe(0)
    const ok = gas(['preview', 'long2.wav', '--json'])
    expect(ok.status, ok.stderr).toBe(0)
    expect(JSON.parse(ok.stdout).info).toMatchObject({ durationSeconds: 20, channels: 2 })
  })
})
