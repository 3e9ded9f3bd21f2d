import { GasError } from '../errors.js'
import { checkTrackerUrl } from '../peer/discovery/tracker-url.js'
import { parseHostPort } from '../peer/transport/direct-handshake.js'
import type { Workspace } from '../repo/workspace.js'

/**
 * `gas serve` and `gas sync` check what was typed (tracker URLs, --peer, --listen) and that the
 * workspace has a team before they start: a typo is a usage error at once, not after a serve said
 * it was serving or a sync silently skipped the address.
 */
export function checkPeerOptions (ws: Workspace, opts: { tracker?: string[], peer?: string[], listen?: string }): void {
  for (const url of opts.tracker ?? []) checkTrackerUrl(url)
  for (const address of opts.peer ?? []) parseHostPort(address)
  if (opts.listen !== undefined) parseHostPort(opts.listen, '0.0.0.0')
  if (ws.config.team === null) throw GasError.badArgument('this workspace has no team: make one with `gas team create NAME`, or join one with `gas team join INVITE` first')
}
