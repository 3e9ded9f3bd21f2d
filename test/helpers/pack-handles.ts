import * as nodeFs from 'node:fs/promises'
import type { FileHandle } from 'node:fs/promises'
import type { FileSystem } from '../../src/objects/fs.js'
import { FileStore } from '../../src/pack/file-store.js'

/**
 * The real file system, with each `.pack` handle's method `method` replaced by what `wrap` makes of
 * the original (bound to its handle); every other file and method is untouched.
 */
export function packHandlesFs (method: keyof FileHandle, wrap: (original: (...args: unknown[]) => unknown, handle: FileHandle) => unknown): FileSystem {
  return {
    ...nodeFs,
    open: (async (path: string, flags?: string) => {
      const handle = await nodeFs.open(path, flags)
      if (!path.endsWith('.pack')) return handle
      return new Proxy(handle, {
        get (target, prop) {
          const value = Reflect.get(target, prop) as unknown
          const bound = typeof value === 'function' ? value.bind(target) : value
          return prop === method ? wrap(bound as (...args: unknown[]) => unknown, target) : bound
        }
      }) as FileHandle
    }) as FileSystem['open']
  }
}

/** realFs whose pack handles count their read(2) calls */
export function countingFs (): { fs: FileSystem, reads: () => number } {
  let reads = 0
  const fs = packHandlesFs('read', (read) => (...args: unknown[]) => { reads++; return read(...args) })
  return { fs, reads: () => reads }
}

/** realFs whose pack handles hold every writev until `release()` (or fail it with `failure`) */
export function heldWritesFs (): { fs: FileSystem, held: () => number, release: (failure?: Error) => void } {
  let waiting: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  const fs = packHandlesFs('writev', (writev) => async (...args: unknown[]) => { await new Promise<void>((resolve, reject) => waiting.push({ resolve, reject })); return await writev(...args) })
  const release = (failure?: Error): void => {
    const now = waiting
    waiting = []
    for (const w of now) failure === undefined ? w.resolve() : w.reject(failure)
  }
  return { fs, held: () => waiting.length, release }
}

/** a few turns of the event loop: what was started has run its synchronous part and its first awaits */
export const settle = async (): Promise<void> => { for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve)) }

/** `bodies` stored as chunks in one pack of a FileStore at `objectsDir`, closed: their ids, in order */
export async function packChunks (objectsDir: string, bodies: Uint8Array[]): Promise<string[]> {
  const writer = await FileStore.open(objectsDir)
  const ids: string[] = []
  for (const body of bodies) ids.push(await writer.put('chunk', body))
  await writer.closeAll()
  return ids
}
