import { GasError, isGasError } from '../errors.js'

/**
 * A refused invite, said with the file and what to do next: a damaged or wrong file, or one made
 * for another member's key, is fixed only by the lead writing a new one for this workspace's key.
 */
export function explainInviteError (err: unknown, file: string, publicKey: string): unknown {
  if (!isGasError(err) || (err.code !== 'E_BAD_ARGUMENT' && err.code !== 'E_AUTH')) return err
  const ask = `ask your lead for a new invite for this workspace's key: \`gas team add ${publicKey} --name NAME --role ROLE --out FILE\``
  return new GasError(err.code, `${file}: ${err.message}; ${ask}`, err.data)
}
