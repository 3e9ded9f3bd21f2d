/**
 * The programmatic API of GameAssetShare: the same operations as the `gas` CLI, typed.
 *
 *   const ws = await gas.init({ dir, name: 'ana' })
 *   await gas.add(ws, { paths: ['textures'], tags: { stage: 'wip' } })
 *   const version = await gas.commit(ws, { message: 'first textures' })
 */
export { GasError, isGasError, type ErrorCode } from './errors.js'
export type { ObjectId, ObjectType } from './objects/id.js'
export type { Asset, AssetKind } from './objects/asset.js'
export type { Version } from './objects/version.js'
export type { ObjectStore } from './objects/store.js'
export { MemoryStore } from './objects/memory-store.js'
export { Workspace, type Clock, type WorkspaceOptions } from './repo/workspace.js'
export { addPaths as add, removePaths as remove, type AddedAsset } from './repo/add.js'
export { stageTrackedChanges } from './repo/stage-tracked.js'
export { resetIndex as reset, type ResetResult } from './repo/reset.js'
export { commit, type CommitOptions } from './repo/commit.js'
export { log, type LogEntry } from './repo/log.js'
export { createTag as tag, listTags } from './repo/tag.js'
export { restore, type RestoreResult } from './repo/restore.js'
export { setMeta, getMeta, type AssetMeta } from './repo/meta.js'
export { findAssets as find, type FoundAsset } from './repo/find.js'
export { stat, type StoreStats } from './repo/stat.js'
export { fsck, type FsckReport } from './repo/fsck.js'
export { resolveRevision } from './repo/rev-parse.js'
export { detectKind } from './repo/asset-kind.js'

export { mergeVersion as merge, type MergeResult } from './repo/merge.js'
export { listConflicts as conflicts, resolveConflict as resolveConflict } from './repo/resolve.js'
export { generatePreview, type PreviewResult } from './preview/index.js'
export { createInvite, joinTeam, type Invite } from './auth/invite.js'
export { peerSecurity } from './auth/peer-security.js'
export { servePeers, syncWithPeers as sync, fetchFromPeers, type PeerSyncResult, type PeerFetchResult } from './peer/sync/peer-node.js'
export { startTracker, type RunningTracker } from './peer/discovery/tracker.js'
export { GAS_NODE_FLAGS } from './peer/sync/node-flags.js'
export { showPreview, type ShownPreview } from './preview/show.js'
export { SyncPolicy, type Decision, type PolicyInputs } from './sync/policy.js'
export { parseRules, RULES_FILE, type Rule } from './sync/rules.js'
export { ROLE_PRESETS } from './sync/role-presets.js'
export { loadWorkspacePolicy, selectiveSyncOptions, detectEngine } from './sync/workspace-policy.js'
export { explainPath, type Explanation } from './sync/explain.js'
export { listAssets, type ListedAsset } from './sync/list-assets.js'
export { planFetch, writeFetched, type FetchPlan } from './sync/fetch-plan.js'
export { gc, GC_RULE, type GcResult } from './sync/gc.js'
export { addOverride, clearOverrides } from './sync/overrides.js'
export * as lfs from './hooks/lfs.js'
export * as hooks from './hooks/hooks.js'

import { previewAsset } from './preview/attach.js'
import { Workspace, type WorkspaceOptions } from './repo/workspace.js'
import { issueLeadCertificate } from './auth/member-certificate.js'

/** Creates a workspace (and a member identity) in `dir`. Previews are generated on add unless `previewer` says otherwise. */
export async function init (opts: { dir: string, name?: string, team?: string } & WorkspaceOptions): Promise<Workspace> {
  const ws = await Workspace.init({ previewer: previewAsset, ...opts })
  // the lead proves membership on every connection like any member: with a certificate
  if (opts.team !== undefined) await issueLeadCertificate(ws)
  return ws
}

/** Opens the workspace that holds `dir`. */
export async function open (opts: { dir: string } & WorkspaceOptions): Promise<Workspace> {
  return await Workspace.open({ previewer: previewAsset, ...opts })
}
export { publishBuild, type PublishOptions, type PublishResult } from './build/publish.js'
export { fetchBuild, type FetchBuildOptions, type FetchBuildResult } from './build/fetch.js'
export { verifyBuildFolder, type VerifyResult } from './build/verify.js'
export { listBuilds, type ListedBuild } from './build/list.js'
export { diffBuilds, type BuildDiff } from './build/diff.js'
export type { Build, BuildFile, BuildDependency } from './objects/build.js'
export { buildContentOnly } from './build/build-content.js'
export { revokeMember, changeRoles, teamMembers, type ListedMember } from './auth/team-members.js'
export { setTeamPolicy, showTeamPolicy, readPolicyReadRules, type ShownPolicy, type PolicyDocument } from './auth/team-policy.js'
export { lock, unlock, type LockOptions, type LockResult, type UnlockOptions, type UnlockResult } from './auth/locks.js'
export { activeLocks, lockHeldByOther, pruneExpiredLocks, type LockEntry } from './repo/lock-store.js'
export { parseTtl, DEFAULT_LOCK_TTL_MS } from './repo/lock-ttl.js'
export { lockExchangeOf } from './auth/lock-exchange-of.js'
export { parseReadRules, mayRead, explainRead, type ReadPolicy, type ReadRule, type ReadDecision } from './auth/read-rights.js'
export { loadReadPolicy } from './auth/load-read-policy.js'
export type { AccessDenied } from './peer/session/denials.js'
