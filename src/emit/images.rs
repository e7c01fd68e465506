//! PNG encoders of the emitted images: uint16 maps (depth in millimetres, instance ids, semantic classes), RGB8
//! (normals, the top-down plan) and 16-bit RGB flow.

use super::EmitError;

/// Encodes a single-channel 16-bit PNG (row-major, row 0 at the top) into `out`; `be` is scratch space for
/// the big-endian samples, reused across frames.
pub fn png_u16(
    width: u32,
    height: u32,
    data: &[u16],
    be: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), png::EncodingError> {
    out.clear();
    be.clear();
    be.extend(data.iter().flat_map(|v| v.to_be_bytes()));
    let mut enc = png::Encoder::new(&mut *out, width, height);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::Sixteen);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    writer.write_image_data(be)?;
    writer.finish()
}

/// Encodes RGB8 rows (row 0 at the top) into `out`; per-frame maps use `Compression::Fast`.
pub fn png_rgb8(
    width: u32,
    height: u32,
    rgb: &[u8],
    compression: png::Compression,
    out: &mut Vec<u8>,
) -> Result<(), png::EncodingError> {
    out.clear();
    let mut enc = png::Encoder::new(&mut *out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(compression);
    let mut writer = enc.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()
}

/// Motion vectors in the KITTI optical-flow encoding, as a 16-bit RGB PNG: R and G hold `du * 64 + 32768` and
/// `dv * 64 + 32768` (clamped), B is 1 where the vector is valid and 0 elsewhere.
pub fn png_flow_kitti(
    width: u32,
    height: u32,
    flow: &[Option<[f32; 2]>],
    be: &mut Vec<u8>,
    out: &mut Vec<u8>,
) -> Result<(), png::EncodingError> {
    out.clear();
    be.clear();
    let enc16 = |x: f32| (x * 64.0 + 32768.0).round().clamp(0.0, 65535.0) as u16;
    be.extend(flow.iter().flat_map(|m| {
        let [r, g, b] = match m {
            Some([du, dv]) => [enc16(*du), enc16(*dv), 1u16],
            None => [0, 0, 0],
        };
        [r.to_be_bytes(), g.to_be_bytes(), b.to_be_bytes()].concat()
    }));
    let mut enc = png::Encoder::new(&mut *out, width, height);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Sixteen);
    enc.set_compression(png::Compression::Fast);
    let mut writer = enc.write_header()?;
    writer.write_image_data(be)?;
    writer.finish()
}

/// Depth in metres to millimetres; 0 (no surface) stays 0, beyond 65.535 m saturates.
pub fn depth_to_mm(depth_m: &[f32], out: &mut Vec<u16>) {
    out.clear();
    out.extend(depth_m.iter().map(|&d| if d > 0.0 { (d * 1000.0).round().clamp(1.0, 65535.0) as u16 } else { 0 }));
}

pub fn image_error(path: std::path::PathBuf, e: png::EncodingError) -> EmitError {
    EmitError::Image { path, message: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trips_16_bit_values() {
        let data = [0u16, 1, 1000, 65535, 258, 7];
        let mut bytes = Vec::new();
        png_u16(3, 2, &data, &mut Vec::new(), &mut bytes).unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height, info.bit_depth), (3, 2, png::BitDepth::Sixteen));
        let back: Vec<u16> = buf.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
        assert_eq!(back, data);
    }

    #[test]
    fn depth_rounds_to_millimetres() {
        let mut out = Vec::new();
        depth_to_mm(&[0.0, 1.2344, 1.2346, 100.0], &mut out);
        assert_eq!(out, [0, 1234, 1235, 65535]);
    }
}
