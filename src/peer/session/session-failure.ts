import { GasError, fromFsError, type ErrorCode } from '../../errors.js'
import type { GoodbyeMessage } from '../wire/messages.js'
import { peerLost } from '../transport/transport.js'

/**
 * A failure as the typed error a session ends with. Whatever the peer sent wrong is already a
 * GasError (E_PROTOCOL, E_FRAME_LENGTH, E_AUTH…); anything else was thrown by our own code or
 * disk, so it is reported as ours (E_DISK_FULL, E_IO, E_INTERNAL) with the original as `cause`,
 * never as the peer's protocol error.
 */
export function asGasError (err: unknown): GasError | undefined {
  if (err === undefined) return undefined
  if (err instanceof GasError) return err
  const message = (err as Error)?.message ?? String(err)
  const errno = (err as NodeJS.ErrnoException)?.code
  if (typeof errno === 'string' && /^E[A-Z]+$/.test(errno)) {
    const typed = fromFsError(err, (err as NodeJS.ErrnoException).path ?? 'local store')
    return new GasError(typed.code, `local failure: ${typed.message}`, { ...typed.data, errno }, { cause: err })
  }
  return new GasError('E_INTERNAL', `local failure (not the peer's): ${message}`, {}, { cause: err })
}

/** why: only a refusal of membership keeps its meaning on our side; any other reason is a peer that left */
const REFUSALS: Record<string, ErrorCode> = { E_AUTH: 'E_AUTH', E_BAD_SIGNATURE: 'E_AUTH', E_DENIED: 'E_AUTH', E_PROTOCOL_VERSION: 'E_PROTOCOL_VERSION', E_REVOKED: 'E_REVOKED' }

/** What the remote's GOODBYE means for us: a typed refusal naming its reason, or a lost peer. */
export function goodbyeError (peer: string, msg: GoodbyeMessage): GasError {
  const code = REFUSALS[msg.code]
  return code !== undefined
    ? new GasError(code, `${peer} refused the connection: ${msg.message}`, { peer, remoteCode: msg.code })
    : peerLost(peer, `it ended the connection (${msg.code}: ${msg.message})`)
}
