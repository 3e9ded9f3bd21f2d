import { createRequire } from 'node:module'
import type { SyncProgress } from '../peer/sync-engine.js'

/** A progress bar with rate and ETA on a terminal; nothing at all when stderr is not a TTY. */
export function progressBar (): { update: (p: SyncProgress) => void, stop: () => void } | undefined {
  if (process.stderr.isTTY !== true) return undefined
  // why lazy: only a command drawing a bar on a terminal pays for loading cli-progress
  const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof import('cli-progress')
  const bar = new cliProgress.SingleBar({
    stream: process.stderr,
    format: '{phase} |{bar}| {percentage}% {value}/{total} bytes | {rate} | ETA {eta_formatted} | {peers} peer(s)',
    hideCursor: true
  }, cliProgress.Presets.shades_classic)
  let started = false
  const t0 = Date.now()
  return {
    update (p) {
      const total = Math.max(p.totalBytes, p.bytes, 1)
      const rate = `${(p.bytes / Math.max((Date.now() - t0) / 1000, 0.001) / 1e6).toFixed(1)} MB/s`
      if (!started) { bar.start(total, p.bytes, { phase: p.phase, peers: p.peers, rate }); started = true } else { bar.setTotal(total); bar.update(p.bytes, { phase: p.phase, peers: p.peers, rate }) }
    },
    stop () { if (started) bar.stop() }
  }
}
