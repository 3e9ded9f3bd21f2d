import { GasError } from '../../errors.js'
import { formatBytes } from '../../units.js'
import type { SyncResult } from './sync-engine.js'

/** why: a message listing every path of a large tree would drown the terminal; the JSON data keeps them all */
export const PATHS_IN_MESSAGE = 10

/**
 * `E_SYNC_INCOMPLETE` for a sync that ended with wanted objects no peer provided: how many objects
 * and bytes, which assets, which peers were asked. null when the sync is complete.
 */
export function syncIncompleteError (result: Pick<SyncResult, 'missing' | 'missingBytes' | 'missingPaths' | 'perPeer' | 'dropped'>): GasError | null {
  if (result.missing.length === 0) return null
  const asked = result.perPeer.map((p) => p.name)
  const paths = result.missingPaths
  const shown = paths.length === 0 ? 'version history (trees, versions)'
    : paths.slice(0, PATHS_IN_MESSAGE).join(', ') + (paths.length > PATHS_IN_MESSAGE ? ` and ${paths.length - PATHS_IN_MESSAGE} more` : '')
  const dropped = result.dropped.length === 0 ? '' : `; dropped: ${result.dropped.map((d) => `${d.peer} (${d.code})`).join(', ')}`
  return new GasError('E_SYNC_INCOMPLETE',
    `sync incomplete: ${result.missing.length} object(s)${result.missingBytes > 0 ? ` (${formatBytes(result.missingBytes)} of content)` : ''} still missing, for ${shown}; ` +
    `asked ${asked.length === 0 ? 'no peer' : asked.join(', ')}${dropped}; run \`gas sync\` again when the peers that have them are online`,
    { missing: result.missing.length, missingBytes: result.missingBytes, paths, asked, dropped: result.dropped })
}
