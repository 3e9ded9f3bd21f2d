import type { Workspace } from '../repo/workspace.js'
import { gitRepoRef } from './git-repo-state.js'
import type { PeerLink } from './peer-link.js'

/** what deliverPush needs of a link (a test gives its own) */
export type DeliveringLink = Pick<PeerLink, 'deliver'>

/**
 * After `git push` recorded the repository in this workspace: the peers connected take it (a
 * `gas serve` does, with the LFS objects the pre-push hook stored), and git's output says who
 * took it, or that it stays on this machine until a teammate syncs with it.
 */
export async function deliverPush (ws: Workspace, link: DeliveringLink, repo: string, log?: (line: string) => void): Promise<void> {
  const ref = gitRepoRef(repo)
  const id = await ws.refs.read(ref)
  if (id === undefined) return
  const told = new Set<string>()
  // a serve taking another member's versions first says so; git shows this while the push waits its turn
  const { took, peers } = await link.deliver(ref, id, (waiting) => {
    for (const { peer, ahead } of waiting) {
      if (!told.has(peer)) log?.(`gas: waiting: ${peer} takes ${ahead} other member(s)' versions first; yours next`)
      told.add(peer)
    }
  })
  if (took.length > 0) log?.(`gas: ${repo}: ${took.join(', ')} took it`)
  else if (peers.length > 0) log?.(`gas: ${repo}: pushed here; ${peers.join(', ')} did not take it now (not a \`gas serve\`, or its transfer window is closed): it reaches the team at a sync while this machine is online`)
  else log?.(`gas: ${repo}: pushed here only, no teammate is online: it reaches the team at a sync while this machine is online (\`gas sync\`, or keep \`gas serve\` running)`)
}
