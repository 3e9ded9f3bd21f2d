import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeFileManifest } from '../../src/objects/file-manifest.js'
import { FileStore } from '../../src/pack/file-store.js'
import { ingestFile } from '../../src/repo/ingest.js'
import { useTmp } from '../helpers/tmp.js'

const tmp = useTmp()
const MiB = 1024 * 1024

/** Text-like bytes (an OBJ-ish listing): zstd keeps well under half of them. */
function compressible (size: number): Buffer {
  const lines: string[] = []
  let length = 0
  for (let i = 0; length < size; i++) {
    const line = `v ${(i % 997) / 10} ${(i % 613) / 100} ${(i % 89) * 3}\n`
    lines.push(line)
    length += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, size)
}

/** Ingests `content` as `name` and returns, per chunk in file order, its stored encoding and raw length. */
async function ingestAndEncodings (content: Buffer, name: string, format: string): Promise<{ encodings: number[], storedBytes: number }> {
  const dir = tmp()
  writeFileSync(join(dir, name), content)
  const store = await FileStore.open(join(dir, 'objects'))
  const result = await ingestFile(nodeFs, store, join(dir, name), format)
  await store.flush()
  const encodings: number[] = []
  let storedBytes = 0
  for (const chunk of decodeFileManifest(result.manifest).chunks) {
    const stored = await store.getEncoded(chunk.id)
    encodings.push(stored!.encoding)
    storedBytes += stored!.bytes.length
  }
  // every chunk reads back to the file's bytes, whichever way it was stored
  const parts: Buffer[] = []
  for (const chunk of decodeFileManifest(result.manifest).chunks) parts.push(Buffer.from((await store.get(chunk.id)).body))
  expect(Buffer.concat(parts).equals(content)).toBe(true)
  await store.closeAll()
  return { encodings, storedBytes }
}

describe('ingest keeps compressible chunks zstd-compressed and skips incompressible ones', () => {
  it('a compressible asset (small, cut on this thread) is stored compressed, chunk by chunk', async () => {
    const content = compressible(3 * MiB)
    const { encodings, storedBytes } = await ingestAndEncodings(content, 'mesh.obj', 'obj')
    expect(encodings.every((e) => e === 1)).toBe(true)
    expect(storedBytes).toBeLessThan(content.length / 2)
  })

  it('a large compressible asset (cut on the worker) is stored compressed too', async () => {
    const content = compressible(12 * MiB)
    const { encodings, storedBytes } = await ingestAndEncodings(content, 'scene.obj', 'obj')
    expect(encodings.every((e) => e === 1)).toBe(true)
    expect(storedBytes).toBeLessThan(content.length / 2)
  })

  it('random bytes are stored as they are', async () => {
    const content = randomBytes(10 * MiB)
    const { encodings, storedBytes } = await ingestAndEncodings(content, 'noise.bin', 'bin')
    expect(encodings.every((e) => e === 0)).toBe(true)
    expect(storedBytes).toBe(content.length)
  })

  it('a file that turns compressible after an incompressible start is compressed again from there', async () => {
    // as media inside a container: 6 MiB of noise (ingest stops trying), then 6 MiB of text
    const content = Buffer.concat([randomBytes(6 * MiB), compressible(6 * MiB)])
    const { encodings } = await ingestAndEncodings(content, 'bundle.dat', 'dat')
    const half = Math.floor(encodings.length / 2)
    expect(encodings.slice(0, half - 2).every((e) => e === 0)).toBe(true)
    // within the retry period (every 16th chunk) compression resumes, then stays on
    const tail = encodings.slice(half + 18)
    expect(tail.length).toBeGreaterThan(40)
    expect(tail.every((e) => e === 1)).toBe(true)
  })

  it('an already-compressed format is never tried', async () => {
    const content = compressible(2 * MiB) // compressible bytes, but named and typed as a PNG: stored raw
    const { encodings } = await ingestAndEncodings(content, 'tex.png', 'png')
    expect(encodings.every((e) => e === 0)).toBe(true)
  })
})
