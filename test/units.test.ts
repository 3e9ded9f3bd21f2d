import { describe, expect, it } from 'vitest'
import * as gas from '../src/index.js'
import { formatBytes, formatRate, parseRate, parseSize } from '../src/units.js'
import { gasInProcess } from './helpers/cli.js'
import { useTmp } from './helpers/tmp.js'

const tmp = useTmp()

describe('sizes and rates', () => {
  it('reads decimal and binary units, refusing anything else as a usage error', () => {
    expect(parseSize('10MB')).toBe(10e6)
    expect(parseSize('512KiB')).toBe(512 * 1024)
    expect(parseSize('1.5 GiB')).toBe(1.5 * 1024 ** 3)
    expect(parseSize('42')).toBe(42)
    expect(parseRate('5MB/s')).toBe(5e6)
    for (const bad of ['', 'ten MB', '10 parsecs', '-1MB', '1e3']) expect(() => parseSize(bad), bad).toThrow(expect.objectContaining({ code: 'E_BAD_ARGUMENT' }))
  })

  it('prints human units: bytes, kB to TB with three significant digits, rates per second, no limit as unlimited', () => {
    expect(formatBytes(999)).toBe('999 B')
    expect(formatBytes(1234)).toBe('1.23 kB')
    expect(formatBytes(1.2e9)).toBe('1.20 GB')
    expect(formatBytes(68_100_000)).toBe('68.1 MB')
    expect(formatBytes(5e15)).toBe('5000.0 TB')
    expect(formatRate(48e6)).toBe('48.0 MB/s')
    expect(formatRate(Infinity)).toBe('unlimited')
    expect(formatBytes(Infinity)).toBe('unlimited')
  })

  it('the CLI prints rates in human units in text and raw bytes per second in --json', async () => {
    const ws = await gas.init({ dir: tmp(), name: 'ana' })
    expect((await gasInProcess(ws.root, ['schedule', 'set', 'Sat-Sun 00:00-24:00 Asia/Tokyo', '--limit', '48MB/s', '--outside-limit', '2MiB/s'])).status).toBe(0)
    const text = (await gasInProcess(ws.root, ['schedule', 'show'])).stdout
    expect(text).toContain('window Sat-Sun 00:00-24:00 Asia/Tokyo (48.0 MB/s)')
    expect(text).toContain('outside windows: 2.10 MB/s')
    const json = JSON.parse((await gasInProcess(ws.root, ['schedule', 'show', '--json'])).stdout)
    expect(json).toMatchObject({ limit: 48e6, outsideLimit: 2 * 1024 * 1024 })
    await ws.close()
  })
})
