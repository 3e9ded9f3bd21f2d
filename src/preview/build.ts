import { withSource } from './byte-source.js'
import { listingInfo, readListing, ZIP_FORMATS } from './archive.js'
import { executableInfo } from './executable.js'
import type { GenerateOpts, PreviewParts } from './types.js'

/**
 * A build's summary: for packaged builds (zip, apk, ipa, …) the listing plus what it says about
 * the platform; for a bare executable, the platform and architecture from its header.
 */
export async function buildPreview (opts: GenerateOpts): Promise<PreviewParts> {
  const { path, format, kind } = opts
  if (ZIP_FORMATS.has(format) || format === 'tar') {
    const listing = await readListing(path, format, kind)
    const names = listing.entries.map(e => e.name)
    const abis = [...new Set(names.map(n => /^lib\/([^/]+)\/[^/]+\.so$/.exec(n)?.[1]).filter((a): a is string => a !== undefined))]
    const platform = names.includes('AndroidManifest.xml') ? 'android' : names.some(n => /^Payload\/[^/]+\.app\//.test(n)) ? 'ios' : undefined
    const info: Record<string, unknown> = { ...listingInfo(listing) }
    if (platform !== undefined) info.platform = platform
    if (abis.length > 0) info.abis = abis
    const exes = names.filter(n => /\.(exe|dll|so|dylib)$/i.test(n))
    if (exes.length > 0) info.binaries = exes.length
    return { info, image: null, clip: null }
  }
  const info = await withSource(path, executableInfo)
  return { info, image: null, clip: null }
}
