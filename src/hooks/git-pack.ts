import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Writable } from 'node:stream'
import { GasError } from '../errors.js'
import type { FileManifest } from '../objects/file-manifest.js'
import type { ObjectStore } from '../objects/store.js'

/**
 * Git packs made and indexed by real git: `pack-objects` writes the objects a push adds (never
 * thin: every delta base is inside the pack or already in an earlier pack of the same state, so
 * a clone indexes the packs in order) and `index-pack --stdin` files a fetched pack into the
 * repository, streaming from the gas store.
 */

export interface MadePack { path: string, name: string, objects: number }

/** A pack of what `tips` reach and `haves` do not, in a temporary file; undefined when that is nothing. */
export async function makePack (opts: { cwd: string, tips: string[], haves: string[] }): Promise<MadePack | undefined> {
  const path = join(tmpdir(), `gas-git-pack-${randomBytes(6).toString('hex')}.pack`)
  const input = [...opts.tips, ...opts.haves.map((h) => `^${h}`)].join('\n') + '\n'
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('git', ['pack-objects', '--revs', '--stdout', '-q', '--delta-base-offset'], { cwd: opts.cwd, stdio: ['pipe', 'pipe', 'pipe'] })
      const err: Buffer[] = []
      child.stderr.on('data', (b: Buffer) => err.push(b))
      const out = createWriteStream(path)
      child.stdout.pipe(out)
      let status: number | null | undefined
      let written = false
      const settle = (): void => {
        if (status === undefined || !written) return
        if (status === 0) resolve()
        else reject(new GasError('E_IO', `git pack-objects failed: ${Buffer.concat(err).toString('utf8').trim()}`))
      }
      out.on('finish', () => { written = true; settle() })
      out.on('error', reject)
      child.on('error', (e) => reject(new GasError('E_IO', `cannot run git: ${e.message}`)))
      child.on('close', (code) => { status = code; settle() })
      child.stdin.on('error', () => {})
      child.stdin.end(input)
    })
    const handle = await open(path, 'r')
    let header: Buffer
    let trailer: Buffer
    try {
      const { size } = await handle.stat()
      header = Buffer.alloc(12)
      trailer = Buffer.alloc(20)
      await handle.read(header, 0, 12, 0)
      await handle.read(trailer, 0, 20, size - 20)
    } finally {
      await handle.close()
    }
    if (!header.subarray(0, 4).equals(Buffer.from('PACK'))) throw new GasError('E_IO', 'git pack-objects wrote something that is not a pack')
    const objects = header.readUInt32BE(8)
    if (objects === 0) {
      await rm(path, { force: true })
      return undefined
    }
    return { path, name: trailer.toString('hex'), objects }
  } catch (err) {
    await rm(path, { force: true })
    throw err
  }
}

/** Streams a pack from the store into `git index-pack --stdin`, which files it in the repository. */
export async function indexPack (opts: { cwd: string, store: ObjectStore, manifest: FileManifest }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn('git', ['index-pack', '--stdin'], { cwd: opts.cwd, stdio: ['pipe', 'ignore', 'pipe'] })
    const err: Buffer[] = []
    let failed: Error | undefined
    child.stderr.on('data', (b: Buffer) => err.push(b))
    child.on('error', (e) => { failed = new GasError('E_IO', `cannot run git: ${e.message}`) })
    child.on('close', (code) => {
      if (failed !== undefined) reject(failed)
      else if (code !== 0) reject(new GasError('E_IO', `git index-pack failed: ${Buffer.concat(err).toString('utf8').trim()}`))
      else resolve()
    })
    child.stdin.on('error', (e) => { failed ??= e })
    void (async () => {
      try {
        for (const chunk of opts.manifest.chunks) {
          const { body } = await opts.store.get(chunk.id)
          // backpressure: one chunk (≤ 256 KiB) in flight beyond the pipe's buffer
          if (!child.stdin.write(body)) await drained(child.stdin)
          if (failed !== undefined) break
        }
      } catch (e) {
        failed ??= e as Error
        child.kill()
      } finally {
        child.stdin.end()
      }
    })()
  })
}

/** Waits for a pipe to drain or close; removes both listeners after, so a long pack adds none per chunk. */
async function drained (stream: Writable): Promise<void> {
  await new Promise<void>((resolve) => {
    const done = (): void => {
      stream.off('drain', done)
      stream.off('close', done)
      resolve()
    }
    stream.on('drain', done)
    stream.on('close', done)
  })
}
