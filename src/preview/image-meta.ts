import type exifReaderFn from 'exif-reader'
import { requireCjs } from './require-cjs.js'
import type sharp from 'sharp'
import { metaTags } from './meta-tags.js'
import type { PngText } from './png-text.js'

type SharpMeta = Awaited<ReturnType<ReturnType<typeof sharp>['metadata']>>

/** EXIF ColorSpace values (1 is sRGB; 0xFFFF "uncalibrated" usually means Adobe RGB via an ICC profile). */
const EXIF_COLOR_SPACE: Record<number, string> = { 1: 'sRGB', 2: 'Adobe RGB', 65535: 'uncalibrated' }

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }
/** XML character and entity references (XMP writers escape &, <, > and quotes) as text. */
function xmlText (s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (m, e: string) => {
    if (e[0] !== '#') return XML_ENTITIES[e.toLowerCase()] ?? m
    const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : Number(e.slice(1))
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m
  })
}

/** First value of an XMP property, in either element or attribute form (either quote, as Adobe and ExifTool write them). */
function xmpValue (xmp: string, name: string): string | undefined {
  const attr = new RegExp(`${name}=(?:"([^"]*)"|'([^']*)')`).exec(xmp)
  if (attr !== null) return xmlText(attr[1] ?? attr[2])
  const el = new RegExp(`<${name}>\\s*(?:<rdf:(?:Seq|Bag|Alt)>\\s*<rdf:li[^>]*>)?([^<]+)<`).exec(xmp)
  return el === null ? undefined : xmlText(el[1])
}

/** PNG text chunks (tEXt/iTXt, as ImageMagick, GIMP and Aseprite write them) by their registered keywords. */
const PNG_TEXT: Record<string, string> = { author: 'author', software: 'software', copyright: 'copyright', title: 'title', description: 'description' }

/**
 * Embedded metadata of an image as tags: author, software, copyright and colour space from EXIF
 * (exif-reader), XMP and PNG text chunks, the colour space libvips decoded, and the ICC profile's presence. A
 * damaged EXIF block costs its tags, never the preview.
 */
export function imageMeta (meta: SharpMeta, pngText: PngText[] = []): Record<string, string> {
  const raw: Record<string, unknown> = { colorSpace: meta.space }
  if (meta.exif !== undefined) {
    try {
      const exif = requireCjs<typeof exifReaderFn>('exif-reader')(meta.exif)
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
    raw.title ??= xmpValue(xmp, 'dc:title')
  }
  for (const { keyword, text } of [...(meta.comments ?? []), ...pngText]) {
    const key = PNG_TEXT[keyword.toLowerCase()]
    if (key !== undefined) raw[key] ??= text
  }
  if (meta.icc !== undefined) raw.iccProfile = 'yes'
  return metaTags(raw)
}
