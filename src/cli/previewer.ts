import type { Previewer } from '../repo/workspace.js'

/** Preview generation is wired in once the preview layer lands; until then assets have none. */
export async function defaultPreviewer (): Promise<Previewer | undefined> {
  return undefined
}
