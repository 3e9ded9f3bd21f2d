import type { FileHandle } from 'node:fs/promises'
import { GasError } from '../errors.js'

/** Writes every byte of `buffers` at `position` (writev may write less than asked). */
export async function writeAll (handle: FileHandle, buffers: Uint8Array[], position: number): Promise<void> {
  let rest = buffers
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest, position)
    if (bytesWritten === 0) throw new GasError('E_DISK_FULL', 'the disk took no more bytes')
    position += bytesWritten
    const left: Uint8Array[] = []
    for (const b of rest) {
      if (bytesWritten >= b.length) { bytesWritten -= b.length; continue }
      left.push(bytesWritten > 0 ? b.subarray(bytesWritten) : b)
      bytesWritten = 0
    }
    rest = left
  }
}
