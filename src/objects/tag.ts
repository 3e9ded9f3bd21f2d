import { decodeCanonical, encodeCanonical, Fields } from './canonical-json.js'
import { isObjectId, isObjectType, type ObjectId, type ObjectType } from './id.js'
import { decodeAuthor, decodeAuthorTime, type Author, type AuthorTime } from './version.js'

/** `tag` object: an annotated, signed name for a version (or build). */
export interface Tag {
  object: ObjectId
  objectType: ObjectType
  name: string
  tagger: Author
  time: AuthorTime
  message: string
  signature: string | null
}

export function encodeTag (tag: Tag): Uint8Array {
  return encodeCanonical(tag)
}

export function signedTagPart (tag: Tag): Uint8Array {
  return encodeCanonical({ ...tag, signature: null })
}

export function decodeTag (body: Uint8Array): Tag {
  const f = Fields.of(decodeCanonical(body, 'tag'), 'tag')
  const object = f.string('object')
  if (!isObjectId(object)) f.fail('object', 'an object id')
  const objectType = f.string('objectType')
  if (!isObjectType(objectType)) f.fail('objectType', 'an object type')
  const signature = f.optionalString('signature')
  if (signature !== null && !/^[0-9a-f]{128}$/.test(signature)) f.fail('signature', '128 hex digits or null')
  return {
    object,
    objectType: objectType as ObjectType,
    name: f.string('name'),
    tagger: decodeAuthor(f.object('tagger')),
    time: decodeAuthorTime(f.object('time')),
    message: f.string('message'),
    signature
  }
}
