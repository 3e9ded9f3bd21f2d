import { GasError } from '../errors.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'

/** What a peer signs in HELLO: the other side's fresh nonce bound to its own key, so a signature cannot be replayed. */
function challengeBytes (nonce: string, signerPublicKey: string): Uint8Array {
  return Buffer.from(`gas-hello\0${nonce}\0${signerPublicKey}`)
}

export function signChallenge (identity: Identity): (remoteNonce: string) => string {
  return (remoteNonce) => signBytes(identity, challengeBytes(remoteNonce, identity.publicKey))
}

/** Refuses a remote that did not prove its key or belongs to another team. */
export function verifyChallenge (teamId: string | null): (remote: { publicKey: string, signature: string | null, teamId: string | null, name: string }, ourNonce: string) => void {
  return (remote, ourNonce) => {
    if (remote.signature === null || !verifyBytes(remote.publicKey, challengeBytes(ourNonce, remote.publicKey), remote.signature)) {
      throw new GasError('E_AUTH', `${remote.name} did not prove it holds key ${remote.publicKey.slice(0, 16)}…`)
    }
    if (teamId !== null && remote.teamId !== teamId) throw new GasError('E_AUTH', `${remote.name} belongs to another team`)
  }
}
