import type { Previewer } from '../repo/workspace.js'
import { Workspace } from '../repo/workspace.js'
import { clockFromEnv } from '../repo/env-clock.js'
import { traceMark } from '../trace.js'
import { IN_THREAD_KINDS, PREVIEWED_KINDS } from '../preview/preview-kinds.js'

/** Loaded on first use: sharp and three cost start-up time and memory that most commands never need. */
const lazyPreviewer: Previewer = async (path, asset, store, previous) =>
  PREVIEWED_KINDS.has(asset.kind) ? await (await import('../preview/attach.js')).previewAsset(path, asset, store, previous) : []
// previews start in worker threads while the content is chunked (the import settles before previewAsset's)
lazyPreviewer.prepare = (path, kind, format, bytes) => {
  if (PREVIEWED_KINDS.has(kind)) void import('../preview/attach.js').then((m) => m.preparePreview(path, kind, format, bytes))
}
lazyPreviewer.warm = () => { void import('../preview/attach.js').then((m) => m.warmPreviews()) }
lazyPreviewer.inThreadKinds = IN_THREAD_KINDS

/** The workspace around the current directory, with previews wired in as the public API does. */
export async function openHere (): Promise<Workspace> {
  const lockWaitMs = Number(process.env.GAS_LOCK_WAIT_MS ?? Number.NaN)
  // GAS_PREVIEWS=off: add without previews (measuring their cost; a store bulk-loaded now, previewed later)
  const previewer = process.env.GAS_PREVIEWS === 'off' ? undefined : lazyPreviewer
  return await Workspace.open({ dir: process.cwd(), previewer, lockWaitMs: Number.isFinite(lockWaitMs) ? lockWaitMs : undefined, clock: clockFromEnv() })
}

/** Runs `fn` with the workspace and always closes it (flushes the open pack). */
export async function withWorkspace<T> (fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openHere()
  traceMark('workspace open')
  try {
    return await fn(ws)
  } finally {
    await ws.close()
    traceMark('workspace closed')
  }
}
