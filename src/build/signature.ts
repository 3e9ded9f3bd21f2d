import { GasError } from '../errors.js'
import { signedBuildPart, type Build } from '../objects/build.js'
import { signBytes, verifyBytes, type Identity } from '../repo/identity.js'
import { merkleRoot } from './merkle.js'

/** Signs `build` (its encoding without the signature) with the publisher's Ed25519 key. */
export function signBuild (identity: Identity, build: Build): Build {
  if (identity.publicKey !== build.publisher.publicKey) throw GasError.badArgument('a build is signed by its publisher')
  return { ...build, signature: signBytes(identity, signedBuildPart({ ...build, signature: null })) }
}

/**
 * Checks what a build claims about itself: the publisher's signature, and that the Merkle root is
 * the root of the listed files. `where` names the build in the error (a ref, a folder, an id).
 */
export function checkBuildSignature (build: Build, where: string): void {
  if (build.signature === null) throw new GasError('E_BAD_SIGNATURE', `${where}: the build manifest is not signed; do not run it, ask the publisher to publish again`, { build: where })
  if (!verifyBytes(build.publisher.publicKey, signedBuildPart(build), build.signature)) {
    throw new GasError('E_BAD_SIGNATURE', `${where}: the build manifest's signature does not match ${build.publisher.name}'s key ${build.publisher.publicKey.slice(0, 16)}…; it was forged or altered`, { build: where })
  }
  if (merkleRoot(build.files) !== build.merkleRoot) {
    throw new GasError('E_BAD_SIGNATURE', `${where}: the Merkle root does not match the listed files`, { build: where })
  }
}
