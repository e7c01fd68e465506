//! Digital degradations: low resolution as larger photosites (area binning of the linear irradiance before the
//! sensor, so noise is per large pixel) and the display's resize back; JPEG at an IJG quality; PSNR.

use image::ImageEncoder;

/// Size of the binned sensor for a linear `scale` (at least one pixel each way).
pub fn binned_size(width: usize, height: usize, scale: f32) -> (usize, usize) {
    (((width as f32 * scale).round() as usize).max(1), ((height as f32 * scale).round() as usize).max(1))
}

/// Area-averages linear RGBA onto a `bw` x `bh` grid covering the same field: each large pixel integrates
/// the irradiance over its footprint (partial pixels weighted by overlap).
pub fn bin_area(img: &[[f32; 4]], width: usize, height: usize, bw: usize, bh: usize) -> Vec<[f32; 4]> {
    let (sx, sy) = (width as f64 / bw as f64, height as f64 / bh as f64);
    let mut out = vec![[0.0f32; 4]; bw * bh];
    for (bj, row) in out.chunks_mut(bw).enumerate() {
        let (y0, y1) = (bj as f64 * sy, (bj + 1) as f64 * sy);
        for (bi, o) in row.iter_mut().enumerate() {
            let (x0, x1) = (bi as f64 * sx, (bi + 1) as f64 * sx);
            let mut acc = [0.0f64; 4];
            let mut area = 0.0;
            for j in y0.floor() as usize..(y1.ceil() as usize).min(height) {
                let wy = (y1.min(j as f64 + 1.0) - y0.max(j as f64)).max(0.0);
                for i in x0.floor() as usize..(x1.ceil() as usize).min(width) {
                    let wx = (x1.min(i as f64 + 1.0) - x0.max(i as f64)).max(0.0);
                    let a = wx * wy;
                    for c in 0..4 {
                        acc[c] += img[j * width + i][c] as f64 * a;
                    }
                    area += a;
                }
            }
            *o = acc.map(|v| (v / area) as f32);
        }
    }
    out
}

/// The display's bilinear resize of a small image back to `width` x `height` (pixel centres aligned).
pub fn resize_bilinear(img: &[[f32; 3]], bw: usize, bh: usize, width: usize, height: usize) -> Vec<[f32; 3]> {
    let mut out = Vec::with_capacity(width * height);
    for j in 0..height {
        let y = ((j as f32 + 0.5) * bh as f32 / height as f32 - 0.5).clamp(0.0, (bh - 1) as f32);
        let (y0, ty) = (y.floor() as usize, y - y.floor());
        let y1 = (y0 + 1).min(bh - 1);
        for i in 0..width {
            let x = ((i as f32 + 0.5) * bw as f32 / width as f32 - 0.5).clamp(0.0, (bw - 1) as f32);
            let (x0, tx) = (x.floor() as usize, x - x.floor());
            let x1 = (x0 + 1).min(bw - 1);
            let p = |a: usize, b: usize| img[b * bw + a];
            let mut c = [0.0f32; 3];
            for k in 0..3 {
                c[k] = (p(x0, y0)[k] * (1.0 - tx) + p(x1, y0)[k] * tx) * (1.0 - ty)
                    + (p(x0, y1)[k] * (1.0 - tx) + p(x1, y1)[k] * tx) * ty;
            }
            out.push(c);
        }
    }
    out
}

/// Encodes 8-bit RGB as a baseline JPEG at `quality` (1..=100, IJG scale).
pub fn jpeg_encode(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let mut buf = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, quality).write_image(
        rgb,
        width,
        height,
        image::ExtendedColorType::Rgb8,
    )?;
    Ok(buf)
}

/// What a JPEG at `quality` leaves of an 8-bit RGB image (encoded, then decoded).
pub fn jpeg_roundtrip(rgb: &[u8], width: u32, height: u32, quality: u8) -> Result<Vec<u8>, image::ImageError> {
    let bytes = jpeg_encode(rgb, width, height, quality)?;
    Ok(image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)?.to_rgb8().into_raw())
}

/// Peak signal-to-noise ratio (dB) between two 8-bit images of the same size.
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    let mse = a.iter().zip(b).map(|(x, y)| (*x as f64 - *y as f64).powi(2)).sum::<f64>() / a.len() as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_image(w: usize, h: usize) -> Vec<u8> {
        // Edges, gradients and texture: what blocks and ringing show on.
        let mut rgb = Vec::with_capacity(w * h * 3);
        for j in 0..h {
            for i in 0..w {
                let checker = if (i / 9 + j / 7) % 2 == 0 { 200 } else { 40 };
                let g = (i * 255 / w) as u8;
                let t = ((i * 37 + j * 91) % 61) as u8;
                rgb.extend([checker, g, t.wrapping_mul(4)]);
            }
        }
        rgb
    }

    #[test]
    fn jpeg_psnr_falls_monotonically_with_severity() {
        let (w, h) = (96, 64);
        let rgb = test_image(w, h);
        let qualities = [50u8, 30, 18, 10, 5];
        let psnrs: Vec<f64> =
            qualities.iter().map(|&q| psnr(&rgb, &jpeg_roundtrip(&rgb, w as u32, h as u32, q).unwrap())).collect();
        for p in psnrs.windows(2) {
            assert!(p[1] < p[0], "PSNR by level {psnrs:?}");
        }
        let sizes: Vec<usize> =
            qualities.iter().map(|&q| jpeg_encode(&rgb, w as u32, h as u32, q).unwrap().len()).collect();
        assert!(sizes.windows(2).all(|s| s[1] < s[0]), "{sizes:?}");
    }

    #[test]
    fn binning_conserves_mean_irradiance_and_resizing_keeps_flat_fields() {
        let (w, h) = (30, 20);
        let img: Vec<[f32; 4]> = (0..w * h).map(|i| [(i % 7) as f32, 1.0, 2.0, 1.0]).collect();
        let (bw, bh) = binned_size(w, h, 0.35);
        let binned = bin_area(&img, w, h, bw, bh);
        let mean = |v: &[[f32; 4]]| v.iter().map(|p| p[0] as f64).sum::<f64>() / v.len() as f64;
        assert!((mean(&img) - mean(&binned)).abs() < 0.05, "{} {}", mean(&img), mean(&binned));
        let flat = vec![[0.5f32; 3]; bw * bh];
        assert!(resize_bilinear(&flat, bw, bh, w, h).iter().all(|p| (p[0] - 0.5).abs() < 1e-6));
    }
}
