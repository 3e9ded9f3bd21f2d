import * as nodeFs from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../objects/atomic-write.js'
import { isProcessAlive } from '../objects/process-alive.js'

/**
 * The refs a pushing helper listed, for the `git ls-remote` its own push runs.
 *
 * During `git push` to gas://, git-lfs's pre-push hook runs `git ls-remote` on the same remote to
 * learn what it already holds; that starts a second helper, which connected to the peers again
 * (~1 s: tracker, handshakes, refs) to list what the first helper had listed a moment before. The
 * helper answering `list for-push` leaves its listing in the repository's git folder while it
 * runs; a helper asked for a plain `list` of the same URL within LISTING_FRESH_MS, while that
 * helper still runs, answers from it. What it answers is what the push itself works from: the
 * refs git-lfs compares against are the push's own view, not an older one. Any other command
 * (fetch, push) still connects.
 */

/** why: a push's hooks run within seconds of its listing; an older one (a hung push) is not trusted */
export const LISTING_FRESH_MS = 60_000

interface ListingFile { pid: number, url: string, at: number, listing: string }

function listingPath (gitDir: string): string {
  return join(gitDir, 'gas-push-listing.json')
}

/** Leaves `listing` (as sent to git) for the helpers this push starts; `forget` removes it once the push ends. */
export async function leavePushListing (gitDir: string, url: string, listing: string): Promise<{ forget: () => Promise<void> }> {
  const path = listingPath(gitDir)
  const file: ListingFile = { pid: process.pid, url, at: Date.now(), listing }
  await writeFileAtomic(nodeFs, path, JSON.stringify(file), { what: 'push listing' })
  return {
    forget: async () => {
      // only ours: a later push may have left its own meanwhile
      const now = await readListing(path)
      if (now?.pid === process.pid) await nodeFs.rm(path, { force: true })
    }
  }
}

/** The listing a push in progress (another, live process) left for `url`, or undefined. */
export async function pushInProgressListing (gitDir: string, url: string, now = Date.now()): Promise<{ listing: string, pid: number } | undefined> {
  const file = await readListing(listingPath(gitDir))
  if (file === undefined || file.url !== url || file.pid === process.pid) return undefined
  if (!(now - file.at >= 0 && now - file.at < LISTING_FRESH_MS) || !isProcessAlive(file.pid)) return undefined
  return { listing: file.listing, pid: file.pid }
}

async function readListing (path: string): Promise<ListingFile | undefined> {
  try {
    const parsed = JSON.parse(await nodeFs.readFile(path, 'utf8')) as Partial<ListingFile>
    if (typeof parsed.pid !== 'number' || typeof parsed.url !== 'string' || typeof parsed.at !== 'number' || typeof parsed.listing !== 'string') return undefined
    return parsed as ListingFile
  } catch {
    // none, or torn by a crash: connect as before
    return undefined
  }
}
