import { createRequire } from 'node:module'
import type { SyncProgress } from '../peer/sync/sync-engine.js'
import { formatBytes, formatRate } from '../units.js'

/** why: a bar for a file that takes well under a second only flickers; below this size nothing is drawn */
export const PROGRESS_MIN_BYTES = 64 * 1024 * 1024

export interface ByteBar {
  /** bytes done of `total` under `label`; the first call draws the bar */
  update: (label: string, bytes: number, total: number, extra?: string) => void
  /** ends the line; `complete` shows the bytes done as the total at 100% (estimates grow as metadata arrives) */
  stop: (complete?: boolean) => void
}

/**
 * A byte-counting bar on stderr with sizes and rate in human units, the total and the percent at
 * the end of the line; undefined (nothing printed at all) when stderr is not a terminal, so
 * scripts and logs see only the command's result.
 */
export function byteBar (stream: NodeJS.WriteStream = process.stderr, now: () => number = Date.now): ByteBar | undefined {
  if (stream.isTTY !== true) return undefined
  // why lazy: only a command drawing a bar on a terminal pays for loading cli-progress
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress')
  const bar = new cliProgress.SingleBar({
    stream,
    format: '{label} |{bar}| {done} | {rate} | ETA {eta_formatted}{extra} | {size} {percentage}%',
    hideCursor: true
  }, cliProgress.Presets.shades_classic)
  let started = false
  let last = { label: '', bytes: 0, extra: '' }
  const t0 = now()
  const payload = (label: string, bytes: number, total: number, extra: string): Record<string, string> =>
    ({ label, extra, done: formatBytes(bytes), size: formatBytes(total), rate: formatRate(bytes / Math.max((now() - t0) / 1000, 0.001)) })
  return {
    update (label, bytes, total, extra = '') {
      const shownTotal = Math.max(total, bytes, 1)
      last = { label, bytes, extra }
      if (!started) {
        bar.start(shownTotal, bytes, payload(label, bytes, shownTotal, extra))
        started = true
      } else {
        bar.setTotal(shownTotal)
        bar.update(bytes, payload(label, bytes, shownTotal, extra))
      }
    },
    stop (complete = false) {
      if (!started) return
      if (complete && last.bytes > 0) {
        bar.setTotal(last.bytes)
        bar.update(last.bytes, payload(last.label, last.bytes, last.bytes, last.extra))
      }
      bar.stop()
    }
  }
}

/** The sync's bar: phase, bytes and peers; nothing at all when stderr is not a TTY. */
export function progressBar (stream: NodeJS.WriteStream = process.stderr): { update: (p: SyncProgress) => void, stop: (complete?: boolean) => void } | undefined {
  const bar = byteBar(stream)
  if (bar === undefined) return undefined
  return {
    // after our own fetch: what the peers still take from us (a serve takes our new versions)
    update (p) {
      const wait = p.waiting?.[0]
      // a serve taking other members' versions first: we wait our turn (a stuck "sending" line before)
      const label = wait !== undefined ? `${wait.peer} takes ${wait.ahead} other member(s)' first; yours next` : p.phase === 'linger' ? 'sending' : p.phase
      bar.update(label, p.bytes, p.totalBytes, ` | ${p.peers} peer(s)`)
    },
    stop (complete) { bar.stop(complete) }
  }
}

/**
 * A bar per large file (`gas add`, `gas restore`): drawn once a file of at least `minBytes` starts,
 * ended when the next file starts or on `stop`. Small files draw nothing.
 */
export function fileProgress (stream: NodeJS.WriteStream = process.stderr, minBytes = PROGRESS_MIN_BYTES): { onFile: (path: string, bytes: number, size: number) => void, stop: () => void } | undefined {
  if (stream.isTTY !== true) return undefined
  let current: { path: string, bar: ByteBar } | undefined
  const end = (): void => {
    current?.bar.stop(true)
    current = undefined
  }
  return {
    onFile (path, bytes, size) {
      if (size < minBytes) return
      if (current?.path !== path) {
        end()
        const bar = byteBar(stream)
        if (bar === undefined) return
        current = { path, bar }
      }
      current.bar.update(path, bytes, size)
      if (bytes >= size) end()
    },
    stop: end
  }
}
