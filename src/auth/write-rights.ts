import { GasError } from '../errors.js'
import { decodeBuild } from '../objects/build.js'
import type { ObjectId } from '../objects/id.js'
import type { ObjectStore } from '../objects/store.js'
import { decodeTag, signedTagPart } from '../objects/tag.js'
import { decodeVersion, signedPart, type Author, type AuthorTime } from '../objects/version.js'
import { checkBuildSignature } from '../build/signature.js'
import { verifyBytes } from '../repo/identity.js'
import type { MemberCertificate } from './member-certificate.js'
import type { RevocationRecord } from './team-record.js'

/**
 * Write rights: which roles may move which refs, and the check a peer runs before it applies a
 * remote ref update. The update's author is the signer of the object the ref names (a version's
 * author, a tag's tagger, a build's publisher); nothing is trusted because of which peer sent it.
 */

/** One rule of the policy's `write` section: refs matching `ref` may be written by `roles` ('*': every member). */
export interface WriteRule { ref: string, roles: string[] }

/**
 * Applied after the policy's own rules (the first matching rule decides): today's behaviour for
 * heads, tags and git repositories; builds are published by leads, admins and build machines.
 */
export const DEFAULT_WRITE_RULES: readonly WriteRule[] = [
  { ref: 'refs/heads/*', roles: ['*'] },
  { ref: 'refs/tags/*', roles: ['*'] },
  { ref: 'refs/git/*', roles: ['*'] },
  { ref: 'refs/builds/*', roles: ['lead', 'admin', 'build'] }
]

/** why: a policy is read by a person; hundreds of write rules is a mistake, not a policy */
export const MAX_WRITE_RULES = 1000

/** Checks the `write` section of a policy document; E_BAD_ARGUMENT names the bad rule. */
export function parseWriteRules (write: unknown): WriteRule[] {
  if (!Array.isArray(write)) throw GasError.badArgument('the policy\'s "write" must be an array of {"ref": GLOB, "roles": [ROLE...]}')
  if (write.length > MAX_WRITE_RULES) throw GasError.badArgument(`the policy has ${write.length} write rules, more than ${MAX_WRITE_RULES}`)
  return write.map((rule: unknown, i) => {
    const r = (rule ?? {}) as Record<string, unknown>
    if (typeof r.ref !== 'string' || !r.ref.startsWith('refs/') || r.ref.length > 512) throw GasError.badArgument(`write rule ${i + 1}: "ref" must be a glob starting with refs/ (e.g. refs/builds/*)`)
    if (!Array.isArray(r.roles) || !r.roles.every((role) => typeof role === 'string' && role !== '')) throw GasError.badArgument(`write rule ${i + 1}: "roles" must be a list of role names ("*" for every member)`)
    return { ref: r.ref, roles: [...r.roles as string[]] }
  })
}

/**
 * Ref globs: `*` matches any run of characters, '/' included, so `refs/builds/*` covers
 * refs/builds/NAME/VERSION. Written by hand: picomatch's `*` stops at '/', which is path
 * semantics, not the "everything under" a ref rule means.
 */
export function refGlobMatches (glob: string, ref: string): boolean {
  const pattern = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')
  return new RegExp(`^${pattern}$`).test(ref)
}

/** Whether a member holding `roles` may write `ref` under `rules` (then the defaults); no matching rule: no. */
export function mayWrite (roles: readonly string[], ref: string, rules: readonly WriteRule[] = []): boolean {
  const rule = [...rules, ...DEFAULT_WRITE_RULES].find((r) => refGlobMatches(r.ref, ref))
  return rule !== undefined && (rule.roles.includes('*') || rule.roles.some((role) => roles.includes(role)))
}

/** What the write check needs to know about the team now. */
export interface WriteContext {
  teamName: string
  rules: readonly WriteRule[]
  /** the newest certificate known for a key */
  certificateOf: (publicKey: string) => Promise<MemberCertificate | undefined>
  revocationOf: (publicKey: string) => Promise<RevocationRecord | undefined>
}

interface SignedTip { author: Author, time: AuthorTime | null }

/** Decodes the object a ref names and checks its author's signature and that it belongs under that ref name. */
async function signedTip (store: ObjectStore, ref: string, id: ObjectId): Promise<SignedTip> {
  const object = await store.get(id)
  const forged = (who: Author): GasError => new GasError('E_BAD_SIGNATURE', `${ref} → ${id.slice(0, 12)}: the signature does not match ${who.name}'s key ${who.publicKey.slice(0, 16)}…; it was forged or altered`, { ref, id })
  const unsigned = (): GasError => new GasError('E_BAD_SIGNATURE', `${ref} → ${id.slice(0, 12)}: not signed by its author, so nobody vouches for it`, { ref, id })
  if (object.type === 'version') {
    const version = decodeVersion(object.body)
    if (version.signature === null) throw unsigned()
    if (!verifyBytes(version.author.publicKey, signedPart(version), version.signature)) throw forged(version.author)
    return { author: version.author, time: version.time }
  }
  if (object.type === 'tag') {
    const tag = decodeTag(object.body)
    if (tag.signature === null) throw unsigned()
    if (!verifyBytes(tag.tagger.publicKey, signedTagPart(tag), tag.signature)) throw forged(tag.tagger)
    if (ref.startsWith('refs/tags/') && ref !== `refs/tags/${tag.name}`) throw new GasError('E_ACCESS_DENIED', `${ref} names tag "${tag.name}", signed for another name`, { ref, id })
    return { author: tag.tagger, time: tag.time }
  }
  if (object.type === 'build') {
    const build = decodeBuild(object.body)
    checkBuildSignature(build, ref)
    if (ref.startsWith('refs/builds/') && ref !== `refs/builds/${build.name}/${build.version}`) throw new GasError('E_ACCESS_DENIED', `${ref} names build ${build.name}@${build.version}, signed for another name`, { ref, id })
    return { author: build.publisher, time: build.time }
  }
  throw new GasError('E_ACCESS_DENIED', `${ref} names a ${object.type} object, which carries no author signature`, { ref, id })
}

/**
 * Checks a remote update of `ref` to `id` before it is applied: the object's signature, its
 * author a current member (not revoked) whose roles may write `ref`, and the signature of every
 * version record new to us on the way down to what we hold (`isNew`: fetched by this sync).
 * A version by a revoked member dated after the revocation is refused too.
 */
export async function checkRefUpdate (ctx: WriteContext, store: ObjectStore, ref: string, id: ObjectId, isNew: (id: ObjectId) => boolean): Promise<void> {
  const tip = await signedTip(store, ref, id)
  const revocation = await ctx.revocationOf(tip.author.publicKey)
  if (revocation !== undefined) throw new GasError('E_REVOKED', `${ref}: ${tip.author.name}'s membership was revoked; nothing they sign is accepted`, { ref, id, author: tip.author.publicKey })
  const cert = await ctx.certificateOf(tip.author.publicKey)
  if (cert === undefined) throw new GasError('E_ACCESS_DENIED', `${ref}: ${tip.author.name} (${tip.author.publicKey.slice(0, 16)}…) is not a known member of ${ctx.teamName}`, { ref, id, author: tip.author.publicKey })
  if (!mayWrite(cert.member.roles, ref, ctx.rules)) {
    throw new GasError('E_ACCESS_DENIED', `${ref}: ${cert.member.name} (${cert.member.roles.join(', ')}) may not write it under the team's write rules (see gas team policy show)`, { ref, id, author: tip.author.publicKey })
  }
  await checkNewHistory(ctx, store, ref, id, isNew)
}

/** why: versions are verified once, when they arrive; this caps a walk through forged parents */
const MAX_HISTORY_CHECKS = 1_000_000

async function checkNewHistory (ctx: WriteContext, store: ObjectStore, ref: string, tip: ObjectId, isNew: (id: ObjectId) => boolean): Promise<void> {
  const first = await store.get(tip)
  const queue: ObjectId[] = first.type === 'version' ? decodeVersion(first.body).parents : first.type === 'tag' ? [decodeTag(first.body).object] : []
  const seen = new Set<ObjectId>([tip])
  for (let checked = 0; queue.length > 0 && checked < MAX_HISTORY_CHECKS; checked++) {
    const id = queue.pop() as ObjectId
    if (seen.has(id) || !isNew(id) || !(await store.has(id))) continue
    seen.add(id)
    const object = await store.get(id)
    if (object.type !== 'version') continue
    const version = decodeVersion(object.body)
    if (version.signature === null || !verifyBytes(version.author.publicKey, signedPart(version), version.signature)) {
      throw new GasError('E_BAD_SIGNATURE', `${ref}: version ${id.slice(0, 12)} in its history is not signed by its author ${version.author.name}; it was forged or altered`, { ref, id })
    }
    const revocation = await ctx.revocationOf(version.author.publicKey)
    if (revocation !== undefined && version.time.seconds > revocation.time) {
      throw new GasError('E_REVOKED', `${ref}: version ${id.slice(0, 12)} in its history was made by ${version.author.name} after their membership was revoked`, { ref, id })
    }
    for (const parent of version.parents) queue.push(parent)
  }
}
