import { randomBytes } from 'node:crypto'
import { open, rm, type FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'
import { fromFsError } from '../errors.js'

/** why: ~256 KB per write call keeps the spool's syscalls few without holding much */
const FLUSH_BYTES = 256 * 1024
const REPLAY_BYTES = 256 * 1024

/**
 * Output a command makes as it goes but may print only once it succeeds (`gas add` names each
 * staged file, yet prints nothing but the error when it fails), kept in a temporary file rather
 * than in memory: 200 000 files' lines are ~20 MB of text, their result objects far more.
 */
export class OutputSpool {
  readonly #path: string
  readonly #handle: FileHandle
  /** whether the name is still there (removed at once where the system allows an open file to be) */
  readonly #named: boolean
  #batch = ''

  private constructor (path: string, handle: FileHandle, named: boolean) {
    this.#path = path
    this.#handle = handle
    this.#named = named
  }

  static async create (): Promise<OutputSpool> {
    const path = join(tmpdir(), `gas-output-${process.pid}-${randomBytes(6).toString('hex')}`)
    const handle = await open(path, 'wx+', 0o600).catch((err) => { throw fromFsError(err, path) })
    // why unnamed at once: a command killed midway then leaves no file behind; Windows keeps the name until discard
    const named = await rm(path).then(() => false, () => true)
    return new OutputSpool(path, handle, named)
  }

  async write (text: string): Promise<void> {
    this.#batch += text
    if (this.#batch.length >= FLUSH_BYTES) await this.#flush()
  }

  async #flush (): Promise<void> {
    if (this.#batch === '') return
    const batch = this.#batch
    this.#batch = ''
    await this.#handle.writeFile(batch).catch((err) => { throw fromFsError(err, this.#path) })
  }

  /** Hands everything written, in order and in pieces, to `print`. */
  async replay (print: (text: string) => void): Promise<void> {
    await this.#flush()
    const block = Buffer.alloc(REPLAY_BYTES)
    // a piece may end inside a UTF-8 sequence: the decoder keeps its start for the next piece
    const decoder = new StringDecoder('utf8')
    for (let position = 0; ;) {
      const { bytesRead } = await this.#handle.read(block, 0, block.length, position)
      if (bytesRead === 0) break
      position += bytesRead
      print(decoder.write(block.subarray(0, bytesRead)))
    }
    const rest = decoder.end()
    if (rest !== '') print(rest)
  }

  /** Closes (and so deletes) the spool file. */
  async discard (): Promise<void> {
    await this.#handle.close().catch(() => {})
    if (this.#named) await rm(this.#path, { force: true }).catch(() => {})
  }
}
