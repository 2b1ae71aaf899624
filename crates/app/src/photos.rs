//! Residents' photos on intake: decoded within limits, turned upright, shrunk to fit 1600 px and
//! stored as JPEG of quality 80.
//!
//! Re-encoding is also what protects the resident: only pixels are carried over, so the EXIF
//! block a phone writes (where and when the photo was taken, the phone's make) is not stored
//! and never served to staff. The limits keep a small file that claims a huge picture (a
//! "decompression bomb") from taking the server's memory.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use crate::{AppError, Result};

/// The longest side of a stored photo: enough to read a house number on a wall.
pub const MAX_SIDE: u32 = 1600;
/// JPEG quality of stored photos.
pub const JPEG_QUALITY: u8 = 80;
/// The largest picture decoded at all, per side: a 48-megapixel phone photo is 8000 × 6000.
pub const DECODE_MAX_SIDE: u32 = 10_000;
/// What one decode may allocate: 8000 × 6000 × 4 bytes with room to spare.
pub const DECODE_MAX_ALLOC: u64 = 256 * 1024 * 1024;

fn unreadable() -> AppError {
    AppError::Invalid("照片无法识别，请上传手机拍摄的 JPG、PNG 或 WebP 照片".into())
}

fn too_large() -> AppError {
    AppError::Invalid(format!(
        "照片像素过大（长边超过 {DECODE_MAX_SIDE} 像素），请换一张或截图后上传"
    ))
}

/// The stored form of an uploaded photo: upright, at most [`MAX_SIDE`] on its longer side, as
/// JPEG without any metadata. CPU-bound; callers run it off the async threads.
pub fn shrink_photo(bytes: &[u8]) -> Result<Vec<u8>> {
    let format = match crate::meeting_extras::sniff_attachment(bytes) {
        Some("image/jpeg") => ImageFormat::Jpeg,
        Some("image/png") => ImageFormat::Png,
        Some("image/webp") => ImageFormat::WebP,
        _ => return Err(unreadable()),
    };
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(DECODE_MAX_SIDE);
    limits.max_image_height = Some(DECODE_MAX_SIDE);
    limits.max_alloc = Some(DECODE_MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e))?;
    // `ImageReader::decode` would check this; reading through the decoder (for the orientation)
    // must check the picture's own buffer by hand, or a small PNG claiming 10000 × 10000 pixels
    // gets its 400 MB.
    if decoder.total_bytes() > DECODE_MAX_ALLOC {
        return Err(too_large());
    }
    // Phones store the picture sideways and say so in EXIF; turn it before EXIF is dropped.
    let orientation = decoder.orientation().map_err(|e| refusal(&e))?;
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e))?;
    picture.apply_orientation(orientation);
    if picture.width() > MAX_SIDE || picture.height() > MAX_SIDE {
        picture = picture.resize(MAX_SIDE, MAX_SIDE, image::imageops::FilterType::Triangle);
    }
    // JPEG has no alpha channel: a transparent PNG is flattened.
    let rgb = DynamicImage::ImageRgb8(picture.into_rgb8());
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|_| unreadable())?;
    Ok(out)
}

fn refusal(e: &image::ImageError) -> AppError {
    match e {
        image::ImageError::Limits(_) => too_large(),
        _ => unreadable(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{GenericImageView, RgbImage, RgbaImage};

    fn decode(bytes: &[u8]) -> DynamicImage {
        image::load_from_memory_with_format(bytes, ImageFormat::Jpeg).unwrap()
    }

    fn png(picture: &DynamicImage) -> Vec<u8> {
        let mut out = Vec::new();
        picture
            .write_to(&mut Cursor::new(&mut out), ImageFormat::Png)
            .unwrap();
        out
    }

    /// A JPEG with an APP1 EXIF block: the orientation tag and a description naming a place.
    fn jpeg_with_exif(picture: &RgbImage, orientation: u16) -> Vec<u8> {
        let mut jpeg = Vec::new();
        JpegEncoder::new_with_quality(&mut jpeg, 90)
            .encode_image(picture)
            .unwrap();
        let place = b"GPS 39.9042N 116.4074E\0";
        let mut tiff = b"II*\0\x08\0\0\0\x02\0".to_vec();
        // Orientation (0x0112), SHORT, one value, stored in place.
        tiff.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0]);
        tiff.extend_from_slice(&orientation.to_le_bytes());
        tiff.extend_from_slice(&[0, 0]);
        // ImageDescription (0x010E), ASCII, stored after the directory.
        tiff.extend_from_slice(&[0x0E, 0x01, 2, 0]);
        tiff.extend_from_slice(&(place.len() as u32).to_le_bytes());
        tiff.extend_from_slice(&38u32.to_le_bytes());
        tiff.extend_from_slice(&0u32.to_le_bytes());
        tiff.extend_from_slice(place);
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend_from_slice(&tiff);
        let mut out = jpeg[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((app1.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(&app1);
        out.extend_from_slice(&jpeg[2..]);
        out
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in bytes {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }

    /// A PNG of a few hundred bytes whose header claims `width` × `height` RGBA pixels.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut body = kind.to_vec();
            body.extend_from_slice(data);
            let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
            out.extend_from_slice(&body);
            out.extend_from_slice(&crc32(&body).to_be_bytes());
            out
        };
        let mut header = width.to_be_bytes().to_vec();
        header.extend_from_slice(&height.to_be_bytes());
        header.extend_from_slice(&[8, 6, 0, 0, 0]);
        let mut idat = vec![0x78, 0x01, 0x00, 0x00, 0x01, 0xFF, 0xFE];
        idat.extend(std::iter::repeat_n(0u8, 256));
        let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
        out.extend(chunk(b"IHDR", &header));
        out.extend(chunk(b"IDAT", &idat));
        out.extend(chunk(b"IEND", &[]));
        out
    }

    #[test]
    fn large_photos_shrink_to_fit_and_small_ones_keep_their_size() {
        let big = DynamicImage::ImageRgb8(RgbImage::from_fn(3000, 1000, |x, y| {
            image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
        }));
        let out = shrink_photo(&png(&big)).unwrap();
        assert_eq!(decode(&out).dimensions(), (1600, 533));
        let tall = DynamicImage::ImageRgb8(RgbImage::new(900, 2000));
        assert_eq!(
            decode(&shrink_photo(&png(&tall)).unwrap()).dimensions(),
            (720, 1600)
        );
        let small = DynamicImage::ImageRgb8(RgbImage::new(480, 320));
        assert_eq!(
            decode(&shrink_photo(&png(&small)).unwrap()).dimensions(),
            (480, 320)
        );
        // A transparent PNG becomes an opaque JPEG.
        let clear = DynamicImage::ImageRgba8(RgbaImage::new(64, 64));
        assert_eq!(
            decode(&shrink_photo(&png(&clear)).unwrap()).dimensions(),
            (64, 64)
        );
    }

    #[test]
    fn exif_is_applied_then_dropped() {
        let sideways = RgbImage::from_fn(400, 200, |x, _| image::Rgb([(x % 256) as u8, 0, 0]));
        let original = jpeg_with_exif(&sideways, 6);
        assert!(contains(&original, b"Exif") && contains(&original, b"39.9042N"));
        let out = shrink_photo(&original).unwrap();
        assert!(!contains(&out, b"Exif"), "no EXIF block is stored");
        assert!(!contains(&out, b"39.9042N"), "nor what it said");
        assert_eq!(
            decode(&out).dimensions(),
            (200, 400),
            "turned upright as the phone said"
        );
    }

    #[test]
    fn a_picture_too_large_to_decode_is_refused_from_its_header() {
        // Past the side limit: refused before any pixel is read.
        let message = shrink_photo(&png_claiming(60_000, 60_000))
            .unwrap_err()
            .to_string();
        assert!(message.contains("像素过大"), "{message}");
        // Within the side limit but 10000 × 10000 × 4 bytes = 400 MB: over the allocation.
        let message = shrink_photo(&png_claiming(10_000, 10_000))
            .unwrap_err()
            .to_string();
        assert!(message.contains("像素过大"), "{message}");
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        for bytes in [
            &b"%PDF-1.4 not a photo"[..],
            b"",
            b"\x89PNG\r\n\x1a\n broken",
        ] {
            let message = shrink_photo(bytes).unwrap_err().to_string();
            assert!(message.contains("照片无法识别"), "{message}");
        }
    }
}
