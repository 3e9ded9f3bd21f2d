import { Workspace } from '../repo/workspace.js'
import { defaultPreviewer } from './previewer.js'

/** The workspace around the current directory, with previews wired in as the public API does. */
export async function openHere (): Promise<Workspace> {
  return await Workspace.open({ dir: process.cwd(), previewer: await defaultPreviewer() })
}

/** Runs `fn` with the workspace and always closes it (flushes the open pack). */
export async function withWorkspace<T> (fn: (ws: Workspace) => Promise<T>): Promise<T> {
  const ws = await openHere()
  try {
    return await fn(ws)
  } finally {
    await ws.close()
  }
}
