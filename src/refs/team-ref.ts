import type { RefStore } from './ref-store.js'

/**
 * Where a workspace keeps the team's records (src/auth/team-directory.ts writes them, after their
 * signatures checked out). Lower layers read the names only: a revocation ref exists here only
 * once its record was verified, so its name alone says the key is revoked.
 */
export const TEAM_MEMBERS_PREFIX = 'refs/team/members/'
export const TEAM_REVOKED_PREFIX = 'refs/team/revoked/'

/** The public keys this store holds a verified revocation of (refs/team/revoked/<key>). */
export async function revokedKeys (refs: Pick<RefStore, 'list'>): Promise<Set<string>> {
  return new Set((await refs.list(TEAM_REVOKED_PREFIX)).map((ref) => ref.name.slice(TEAM_REVOKED_PREFIX.length)))
}
