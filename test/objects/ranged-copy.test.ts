import { randomBytes } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { NATIVE_COPY_ENV, isCopyRefused, nativeRangedCopy } from '../../src/objects/ranged-copy.js'
import { useTmp } from '../helpers/tmp.js'
import { mountTmpfs } from '../helpers/tmpfs.js'

const tmp = useTmp()

describe('nativeRangedCopy (native/ranged-copy.c)', () => {
  const env = process.env[NATIVE_COPY_ENV]
  afterEach(() => {
    if (env === undefined) delete process.env[NATIVE_COPY_ENV]
    else process.env[NATIVE_COPY_ENV] = env
  })

  it('is built by the package install step and loads', () => {
    delete process.env[NATIVE_COPY_ENV]
    expect(nativeRangedCopy()).toBeDefined()
    process.env[NATIVE_COPY_ENV] = '0'
    expect(nativeRangedCopy()).toBeUndefined()
  })

  it('copies each range to its place, long ranges included, and says how many bytes', async () => {
    const dir = tmp()
    const source = randomBytes(3 * 1024 * 1024 + 77)
    writeFileSync(join(dir, 'in.bin'), source)
    const input = await open(join(dir, 'in.bin'), 'r')
    const output = await open(join(dir, 'out.bin'), 'w')
    // out of order, unaligned, one longer than the kernel may copy in one call on some filesystems
    const ranges = [[1_000_000, 0, 42], [5, 42, 3 * 1024 * 1024], [0, 42 + 3 * 1024 * 1024, 5]]
    const copied = await nativeRangedCopy()!.copyRanges(input.fd, output.fd, Float64Array.from(ranges.flat()))
    await input.close()
    await output.close()
    expect(copied).toBe(42 + 3 * 1024 * 1024 + 5)
    const expected = Buffer.concat(ranges.map(([from, , length]) => source.subarray(from, from + length)))
    expect(readFileSync(join(dir, 'out.bin')).equals(expected)).toBe(true)
  })

  it('rejects with EOF when the input ends before a range, with the bytes copied so far', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'in.bin'), randomBytes(1000))
    const input = await open(join(dir, 'in.bin'), 'r')
    const output = await open(join(dir, 'out.bin'), 'w')
    const err = await nativeRangedCopy()!.copyRanges(input.fd, output.fd, Float64Array.from([0, 0, 100, 900, 100, 200])).catch((e: unknown) => e)
    await input.close()
    await output.close()
    expect((err as { code: string }).code).toBe('EOF')
    expect((err as { copied: number }).copied).toBe(200)
    expect(isCopyRefused(err)).toBe(false)
  })

  it('names the errno of a failed copy (EBADF for a file opened read-only as the output)', async () => {
    const dir = tmp()
    writeFileSync(join(dir, 'in.bin'), randomBytes(1000))
    const input = await open(join(dir, 'in.bin'), 'r')
    const err = await nativeRangedCopy()!.copyRanges(input.fd, input.fd, Float64Array.from([0, 500, 100])).catch((e: unknown) => e)
    await input.close()
    expect((err as { code: string }).code).toBe('EBADF')
  })

  it('refuses arguments that are not descriptors and whole-number triples before the kernel sees them', () => {
    const { copyRanges } = nativeRangedCopy()!
    expect(() => copyRanges(0, 1, new Float64Array([0, 0]) as Float64Array)).toThrow(TypeError)
    expect(() => copyRanges(0, 1, Float64Array.from([0, 0.5, 1]))).toThrow(TypeError)
    expect(() => copyRanges(0, 1, Float64Array.from([-1, 0, 1]))).toThrow(TypeError)
    expect(() => copyRanges(0, 1, [0, 0, 1] as unknown as Float64Array)).toThrow(TypeError)
    expect(() => copyRanges(-1, 1, new Float64Array(3))).toThrow(TypeError)
    expect(() => (copyRanges as unknown as (a: number) => unknown)(0)).toThrow(TypeError)
  })

  it('reports EXDEV, a refusal, when the two files are on different filesystems', async (ctx) => {
    const dir = tmp()
    const other = mountTmpfs(dir)
    if (other === undefined) ctx.skip()
    try {
      writeFileSync(join(dir, 'in.bin'), randomBytes(1000))
      const input = await open(join(dir, 'in.bin'), 'r')
      const output = await open(join(other!.path, 'out.bin'), 'w')
      const err = await nativeRangedCopy()!.copyRanges(input.fd, output.fd, Float64Array.from([0, 0, 1000])).catch((e: unknown) => e)
      await input.close()
      await output.close()
      expect((err as { code: string }).code).toBe('EXDEV')
      expect(isCopyRefused(err)).toBe(true)
    } finally {
      other!.unmount()
    }
  })
})
