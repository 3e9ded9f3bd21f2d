import { GasError } from '../errors.js'
import type { HelloProof, MayServe } from '../peer/session-options.js'
import type { HelloMessage } from '../peer/messages.js'
import type { Workspace } from '../repo/workspace.js'
import { signChallenge, verifyMember } from './handshake.js'
import { readOwnCertificate, type MemberCertificate } from './member-certificate.js'
import { loadReadPolicy } from './load-read-policy.js'
import { ReadGate } from './read-gate.js'
import type { ReadPolicy } from './read-rights.js'

export interface PeerSecurityOptions {
  /** read rules to enforce instead of the team policy's (`loadReadPolicy`) */
  readPolicy?: ReadPolicy
}

/**
 * HELLO signing and checks for this workspace's member, handed to the peer layer: every
 * connection proves our key and membership, and refuses a remote that cannot prove both. What we
 * serve follows the read rights (`mayServe`): content outside the remote's roles is refused.
 */
export function peerSecurity (ws: Workspace, opts: PeerSecurityOptions = {}): { sign: (challenge: { remoteNonce: string, ourNonce: string }) => Promise<HelloProof>, verify: (remote: HelloMessage, ourNonce: string) => void, mayServe: MayServe } {
  const team = ws.config.team
  let certificate: Promise<MemberCertificate | null> | undefined
  const ownCertificate = async (): Promise<MemberCertificate | null> => {
    // why: read once per process (a serve answers many peers), and again after a failed read
    certificate ??= readOwnCertificate(ws).catch((err) => { certificate = undefined; throw err })
    const cert = await certificate
    if (cert === null && team !== null) {
      throw new GasError('E_AUTH', `this workspace holds no certificate of team ${team.name}, so peers will refuse it: ask the lead for an invite (\`gas team add\`) and run \`gas team join INVITE\``)
    }
    return cert
  }
  const readPolicy = opts.readPolicy
  const gate = new ReadGate({ store: ws.store, refs: ws.refs, policy: readPolicy !== undefined ? async () => readPolicy : async () => await loadReadPolicy(ws) })
  return { sign: signChallenge(ws.identity, team?.id ?? null, ownCertificate), verify: verifyMember(team), mayServe: gate.mayServe }
}
