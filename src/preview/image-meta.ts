import exifReader from 'exif-reader'
import type sharp from 'sharp'
import { metaTags } from './meta-tags.js'

type SharpMeta = Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>

/** EXIF ColorSpace values (1 is sRGB; 0xFFFF "uncalibrated" usually means Adobe RGB via an ICC profile). */
const EXIF_COLOR_SPACE: Record<number, string> = { 1: 'sRGB', 2: 'Adobe RGB', 65535: 'uncalibrated' }

/** First value of an XMP property, in either element or attribute form. */
function xmpValue (xmp: string, name: string): string | undefined {
  const attr = new RegExp(`${name}="([^"]*)"`).exec(xmp)
  if (attr !== null) return attr[1]
  const el = new RegExp(`<${name}>\\s*(?:<rdf:(?:Seq|Bag|Alt)>\\s*<rdf:li[^>]*>)?([^<]+)<`).exec(xmp)
  return el?.[1]
}

/**
 * Embedded metadata of an image as tags: author, software, copyright and colour space from EXIF
 * (exif-reader) and XMP, the colour space libvips decoded, and the ICC profile's presence. A
 * damaged EXIF block costs its tags, never the preview.
 */
export function imageMeta (meta: SharpMeta): Record<string, string> {
  const raw: Record<string, unknown> = { colorSpace: meta.space }
  if (meta.exif !== undefined) {
    try {
      const exif = exifReader(meta.exif)
      const img = (exif.Image ?? {}) as Record<string, unknown>
      const photo = (exif.Photo ?? {}) as Record<string, unknown>
      Object.assign(raw, { author: img.Artist, software: img.Software, copyright: img.Copyright, camera: [img.Make, img.Model].filter(v => typeof v === 'string').join(' ') || undefined, created: photo.DateTimeOriginal instanceof Date ? photo.DateTimeOriginal.toISOString() : undefined })
      const cs = photo.ColorSpace
      if (typeof cs === 'number' && EXIF_COLOR_SPACE[cs] !== undefined) raw.colorSpace = EXIF_COLOR_SPACE[cs]
    } catch { /* unreadable EXIF: no EXIF tags */ }
  }
  if (meta.xmp !== undefined) {
    const xmp = meta.xmp.toString('utf8')
    raw.author ??= xmpValue(xmp, 'dc:creator')
    raw.software ??= xmpValue(xmp, 'xmp:CreatorTool')
    raw.copyright ??= xmpValue(xmp, 'dc:rights')
    raw.title = xmpValue(xmp, 'dc:title')
  }
  if (meta.icc !== undefined) raw.iccProfile = 'yes'
  return metaTags(raw)
}
