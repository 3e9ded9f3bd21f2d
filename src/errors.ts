/**
 * One error class for everything a user can cause. `code` is API: scripts and the CLI branch on
 * it, never on the message. Messages say what to do next.
 */
export type ErrorCode =
  | 'E_BAD_ARGUMENT'
  | 'E_NOT_FOUND'
  | 'E_AMBIGUOUS_ID'
  | 'E_CORRUPT_OBJECT'
  | 'E_CORRUPT_PACK'
  | 'E_PATH_ESCAPE'
  | 'E_IO'
  | 'E_DISK_FULL'
  | 'E_NOT_A_WORKSPACE'
  | 'E_ALREADY_EXISTS'
  | 'E_REF_CONFLICT'
  | 'E_LOCKED'
  | 'E_NOTHING_TO_COMMIT'
  | 'E_CONFLICT'
  | 'E_MALFORMED_ASSET'
  | 'E_NO_PREVIEW'
  | 'E_FRAME_LENGTH'
  | 'E_PROTOCOL'
  | 'E_PEER_LOST'
  | 'E_TIMEOUT'
  | 'E_AUTH'
  | 'E_DENIED'
  | 'E_BAD_SIGNATURE'
  | 'E_NO_PEERS'
  | 'E_SYNC_INCOMPLETE'
  | 'E_PUSH_REFUSED'
  | 'E_LOCAL_CHANGES'
  | 'E_BAD_RULES'
  | 'E_BAD_SCHEDULE'
  | 'E_PROTOCOL_VERSION'
  | 'E_INTERNAL'
  | 'E_BUILD_EXISTS'
  | 'E_BUILD_MISMATCH'
  | 'E_SYNC_INCOMPLETE'
  | 'E_NO_PEERS'
  | 'E_NO_ROUTE'
  | 'E_REVOKED'
  | 'E_ACCESS_DENIED'
  | 'E_LOCKED_BY_OTHER'
  | 'E_NOT_LOCKED'
  | 'E_BAD_TTL'
  | 'E_BAD_POLICY'
  | 'E_IGNORED'
  | 'E_INDEX_CRC'

export class GasError extends Error {
  readonly code: ErrorCode
  readonly data: Record<string, unknown>

  constructor (code: ErrorCode, message: string, data: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'GasError'
    this.code = code
    this.data = data
  }

  toJSON (): { code: ErrorCode, message: string, data: Record<string, unknown> } {
    return { code: this.code, message: this.message, data: this.data }
  }

  static badArgument (message: string, data: Record<string, unknown> = {}): GasError {
    return new GasError('E_BAD_ARGUMENT', message, data)
  }

  static notFound (what: string, data: Record<string, unknown> = {}): GasError {
    return new GasError('E_NOT_FOUND', `${what} not found`, { what, ...data })
  }

  static corruptObject (id: string, why: string): GasError {
    return new GasError('E_CORRUPT_OBJECT', `object ${id} is corrupt: ${why}; \`gas fsck --repair\` fetches a good copy from a peer`, { id })
  }

  static malformedAsset (path: string, why: string): GasError {
    return new GasError('E_MALFORMED_ASSET', `${path}: ${why}`, { path })
  }

  static frameLength (why: string): GasError {
    return new GasError('E_FRAME_LENGTH', `bad frame length: ${why}`)
  }

  static protocol (why: string, data: Record<string, unknown> = {}): GasError {
    return new GasError('E_PROTOCOL', why, data)
  }
}

export function isGasError (err: unknown, code?: ErrorCode): err is GasError {
  return err instanceof GasError && (code === undefined || err.code === code)
}

/** Maps node's fs errors to typed ones so the CLI never prints a raw stack for a user mistake. */
export function fromFsError (err: unknown, path: string): GasError {
  if (err instanceof GasError) return err
  const code = (err as NodeJS.ErrnoException)?.code
  if (code === 'ENOENT') return new GasError('E_NOT_FOUND', `${path}: no such file or directory`, { path })
  if (code === 'ENOSPC' || code === 'EDQUOT') return new GasError('E_DISK_FULL', `${path}: disk full; free space and retry (nothing was half-written)`, { path })
  if (code === 'EACCES' || code === 'EPERM') return new GasError('E_IO', `${path}: permission denied`, { path })
  if (code === 'EISDIR') return new GasError('E_BAD_ARGUMENT', `${path}: is a directory`, { path })
  return new GasError('E_IO', `${path}: ${(err as Error)?.message ?? String(err)}`, { path })
}
