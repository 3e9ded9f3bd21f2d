import { GasError } from '../errors.js'
import type { ObjectId } from '../objects/id.js'
import { decodeTag, encodeTag, signedTagPart, type Tag } from '../objects/tag.js'
import { checkShortName } from '../refs/ref-name.js'
import { signBytes } from './identity.js'
import { resolveRevision } from './rev-parse.js'
import type { Workspace } from './workspace.js'

/** Names a version with a signed annotated tag; an existing tag is never moved. */
export async function createTag (ws: Workspace, opts: { name: string, rev?: string, message?: string }): Promise<{ tag: ObjectId, version: ObjectId }> {
  checkShortName(opts.name, 'tag')
  const version = await resolveRevision(ws, opts.rev ?? 'HEAD')
  const unsigned: Tag = { object: version, objectType: 'version', name: opts.name, tagger: ws.author, time: ws.authorTime(), message: opts.message ?? '', signature: null }
  const tag: Tag = { ...unsigned, signature: signBytes(ws.identity, signedTagPart(unsigned)) }
  const id = await ws.store.put('tag', encodeTag(tag))
  try {
    await ws.refs.update({ name: `refs/tags/${opts.name}`, newId: id, expectedOld: null, message: `tag ${opts.name}`, who: ws.identity.name, now: ws.clock.now() })
  } catch (err) {
    if (err instanceof GasError && err.code === 'E_REF_CONFLICT') throw new GasError('E_ALREADY_EXISTS', `tag ${opts.name} already exists`, { name: opts.name })
    throw err
  }
  return { tag: id, version }
}

/** Every tag with the version it names (`id` is the tag object itself) and its message. */
export async function listTags (ws: Workspace): Promise<Array<{ name: string, id: ObjectId, version: ObjectId, message: string }>> {
  const out = []
  for (const ref of await ws.refs.list('refs/tags/')) {
    const object = await ws.store.get(ref.id)
    const message = object.type === 'tag' ? decodeTag(object.body).message : ''
    out.push({ name: ref.name.slice('refs/tags/'.length), id: ref.id, version: await resolveRevision(ws, ref.name), message })
  }
  return out
}
