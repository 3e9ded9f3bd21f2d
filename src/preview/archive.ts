import { GasError } from '../errors.js'
import { withSource } from './byte-source.js'
import { listTar } from './tar.js'
import { listZip, type ArchiveListing } from './zip.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/** Zip-based containers: the listing is what a reviewer wants before fetching the whole thing. */
export const ZIP_FORMATS = new Set(['zip', 'apk', 'aab', 'ipa', 'jar', 'xapk', 'pk3', 'pk4', 'nupkg', 'unitypackage-zip', 'docx', 'xlsx', 'pptx'])

export async function archivePreview (opts: GenerateOpts): Promise<PreviewParts> {
  const listing = await readListing(opts.path, opts.format, opts.kind)
  return { info: listingInfo(listing), image: null, clip: null }
}

export async function readListing (path: string, format: string, kind: string): Promise<ArchiveListing> {
  if (ZIP_FORMATS.has(format)) return await withSource(path, listZip)
  if (format === 'tar') return await withSource(path, listTar)
  throw new GasError('E_NO_PREVIEW', `no preview for this ${kind} format: ${format} (supported: zip-based archives, tar)`, { path, format })
}

export function listingInfo (l: ArchiveListing): Record<string, unknown> {
  return {
    entryCount: l.entryCount,
    files: l.files,
    directories: l.directories,
    totalSize: l.totalSize,
    totalCompressedSize: l.totalCompressedSize,
    encrypted: l.encrypted,
    entries: l.entries,
    truncatedListing: l.truncatedListing
  }
}
