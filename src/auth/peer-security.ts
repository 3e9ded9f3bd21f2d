import { signChallenge, verifyChallenge } from './handshake.js'
import type { Workspace } from '../repo/workspace.js'

/** HELLO signing and checks for this workspace's member, handed to the peer layer. */
export function peerSecurity (ws: Workspace): { sign: (nonce: string) => string, verify: ReturnType<typeof verifyChallenge> } {
  return { sign: signChallenge(ws.identity), verify: verifyChallenge(ws.config.team?.id ?? null) }
}
