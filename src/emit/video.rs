//! H.264 or H.265 in MP4 through ffmpeg-next (libx264 / libx265, yuv420p), at a constant rate factor or a
//! target bitrate. The renderer hands over Y'CbCr 4:2:0 planes (BT.709
//! matrix, limited range, sRGB transfer, converted on the GPU), so frames are only copied here. x264 runs
//! single-threaded so the same frames give the same bytes; every frame carries a duration so the last one is
//! not lost.
//!
//! The encoder stack reads some heap memory it never wrote (seen as run-to-run differences in the first frames
//! when the rest of the process had churned the heap): every encoder call runs with glibc's malloc perturbation
//! on, so whatever it allocates starts as the same bytes in every run.

use std::path::{Path, PathBuf};

use diorama_degradations::VideoCodec;
use diorama_render::Yuv420;
use ffmpeg::{Dictionary, Packet, Rational, codec, color, encoder, format, frame};
use ffmpeg_next as ffmpeg;

use super::EmitError;

pub struct VideoWriter {
    path: PathBuf,
    tmp: PathBuf,
    octx: format::context::Output,
    encoder: encoder::Video,
    yuv: frame::Video,
    codec_time_base: Rational,
    stream_time_base: Rational,
    next_pts: i64,
    frames: u32,
}

impl VideoWriter {
    pub fn create(
        path: &Path,
        width: u32,
        height: u32,
        fps: u32,
        codec: VideoCodec,
        preset: &str,
    ) -> Result<VideoWriter, EmitError> {
        let err = |m: String| EmitError::Video { path: path.to_path_buf(), message: m };
        let _fixed_heap = FixedHeap::new();
        ffmpeg::init().map_err(|e| err(format!("FFmpeg did not initialise: {e}")))?;
        ffmpeg::log::set_level(ffmpeg::log::Level::Error);
        let tmp = super::tmp_path(path);
        let mut octx =
            format::output_as(&tmp, "mp4").map_err(|e| err(format!("cannot open {}: {e}", tmp.display())))?;
        let global_header = octx.format().flags().contains(format::Flags::GLOBAL_HEADER);
        let name = match codec {
            VideoCodec::H265 { .. } => "libx265",
            _ => "libx264",
        };
        let found = encoder::find_by_name(name).ok_or_else(|| {
            err(format!(
                "FFmpeg has no {name} encoder; install Debian's libavcodec-dev (it includes libx264 and libx265)"
            ))
        })?;
        let mut ost = octx.add_stream(found).map_err(|e| err(e.to_string()))?;
        let mut enc =
            codec::context::Context::new_with_codec(found).encoder().video().map_err(|e| err(e.to_string()))?;
        let codec_time_base = Rational::new(1, fps as i32);
        enc.set_width(width);
        enc.set_height(height);
        enc.set_format(format::Pixel::YUV420P);
        enc.set_colorspace(color::Space::BT709);
        enc.set_color_range(color::Range::MPEG);
        enc.set_color_primaries(color::Primaries::BT709);
        enc.set_color_transfer_characteristic(color::TransferCharacteristic::IEC61966_2_1);
        enc.set_time_base(codec_time_base);
        enc.set_frame_rate(Some(Rational::new(fps as i32, 1)));
        if global_header {
            enc.set_flags(codec::Flags::GLOBAL_HEADER);
        }
        let mut opts = Dictionary::new();
        opts.set("preset", preset);
        opts.set("threads", "1");
        match codec {
            VideoCodec::H264 { crf } | VideoCodec::H265 { crf } => opts.set("crf", &crf.to_string()),
            VideoCodec::H264Bitrate { bits_per_s } => {
                // Bandwidth-limited: a VBV buffer of one second at the target rate.
                let rate = bits_per_s as usize;
                enc.set_bit_rate(rate);
                enc.set_max_bit_rate(rate);
                opts.set("bufsize", &rate.to_string());
            }
        }
        if let VideoCodec::H265 { .. } = codec {
            // One thread, no thread pool: the same frames give the same bytes.
            opts.set("x265-params", "pools=none:frame-threads=1:log-level=error");
        }
        let encoder = enc.open_with(opts).map_err(|e| err(format!("{name} refused its settings: {e}")))?;
        ost.set_parameters(&encoder);
        ost.set_time_base(codec_time_base);
        octx.write_header().map_err(|e| err(e.to_string()))?;
        // The muxer may change the stream's time base on write_header: read it back.
        let stream_time_base = octx.stream(0).expect("one stream").time_base();
        Ok(VideoWriter {
            path: path.to_path_buf(),
            tmp,
            octx,
            encoder,
            yuv: frame::Video::new(format::Pixel::YUV420P, width, height),
            codec_time_base,
            stream_time_base,
            next_pts: 0,
            frames: 0,
        })
    }

    fn err(&self, m: impl std::fmt::Display) -> EmitError {
        EmitError::Video { path: self.path.clone(), message: m.to_string() }
    }

    /// Appends one frame given as Y'CbCr 4:2:0 planes.
    pub fn push_yuv(&mut self, frame: &Yuv420<'_>) -> Result<(), EmitError> {
        let _fixed_heap = FixedHeap::new();
        let (w, h) = (self.yuv.width() as usize, self.yuv.height() as usize);
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let planes =
            [(frame.y, frame.y_stride, w, h), (frame.u, frame.c_stride, cw, ch), (frame.v, frame.c_stride, cw, ch)];
        for (plane, (src, src_stride, row, rows)) in planes.into_iter().enumerate() {
            let stride = self.yuv.stride(plane);
            let data = self.yuv.data_mut(plane);
            for j in 0..rows {
                data[j * stride..j * stride + row].copy_from_slice(&src[j * src_stride..j * src_stride + row]);
            }
        }
        self.yuv.set_pts(Some(self.next_pts));
        self.next_pts += 1;
        self.encoder.send_frame(&self.yuv).map_err(|e| self.err(e))?;
        self.frames += 1;
        self.drain()
    }

    fn drain(&mut self) -> Result<(), EmitError> {
        let mut packet = Packet::empty();
        while self.encoder.receive_packet(&mut packet).is_ok() {
            packet.set_stream(0);
            packet.set_duration(1);
            packet.rescale_ts(self.codec_time_base, self.stream_time_base);
            packet.write_interleaved(&mut self.octx).map_err(|e| self.err(e))?;
        }
        Ok(())
    }

    /// Flushes the encoder, finishes the file and moves it into place. Returns the number of frames.
    pub fn finish(mut self) -> Result<u32, EmitError> {
        let _fixed_heap = FixedHeap::new();
        self.encoder.send_eof().map_err(|e| self.err(e))?;
        self.drain()?;
        self.octx.write_trailer().map_err(|e| self.err(e))?;
        std::fs::rename(&self.tmp, &self.path).map_err(super::io_err(&self.path))?;
        Ok(self.frames)
    }
}

/// Decodes an MP4 written by [`VideoWriter`] back to 8-bit sRGB frames (BT.709 limited-range Y'CbCr 4:2:0 to
/// RGB, chroma by nearest sample), for the contact sheet and for tests that measure what a codec kept.
pub fn read_rgb_frames(path: &Path) -> Result<(u32, u32, Vec<Vec<u8>>), EmitError> {
    let err = |m: String| EmitError::Read { path: path.to_path_buf(), cause: m };
    ffmpeg::init().map_err(|e| err(format!("FFmpeg did not initialise: {e}")))?;
    let mut ictx = format::input(path).map_err(|e| err(format!("cannot open: {e}")))?;
    let stream = ictx.streams().best(ffmpeg::media::Type::Video).ok_or_else(|| err("no video stream".into()))?;
    let index = stream.index();
    let context = codec::context::Context::from_parameters(stream.parameters()).map_err(|e| err(e.to_string()))?;
    let mut decoder = context.decoder().video().map_err(|e| err(e.to_string()))?;
    let mut frames = Vec::new();
    let mut frame = frame::Video::empty();
    let mut take = |decoder: &mut ffmpeg::decoder::Video, frames: &mut Vec<Vec<u8>>| {
        while decoder.receive_frame(&mut frame).is_ok() {
            frames.push(yuv420_to_rgb(&frame));
        }
    };
    for (s, packet) in ictx.packets() {
        if s.index() == index {
            decoder.send_packet(&packet).map_err(|e| err(e.to_string()))?;
            take(&mut decoder, &mut frames);
        }
    }
    decoder.send_eof().map_err(|e| err(e.to_string()))?;
    take(&mut decoder, &mut frames);
    Ok((decoder.width(), decoder.height(), frames))
}

fn yuv420_to_rgb(f: &frame::Video) -> Vec<u8> {
    let (w, h) = (f.width() as usize, f.height() as usize);
    let (ys, us, vs) = (f.stride(0), f.stride(1), f.stride(2));
    let (y, u, v) = (f.data(0), f.data(1), f.data(2));
    let mut out = Vec::with_capacity(w * h * 3);
    for j in 0..h {
        for i in 0..w {
            let yy = (y[j * ys + i] as f32 - 16.0) / 219.0;
            let cb = (u[(j / 2) * us + i / 2] as f32 - 128.0) / 224.0;
            let cr = (v[(j / 2) * vs + i / 2] as f32 - 128.0) / 224.0;
            let r = yy + 1.5748 * cr;
            let g = yy - 0.1873 * cb - 0.4681 * cr;
            let b = yy + 1.8556 * cb;
            out.extend([r, g, b].map(|c| (c * 255.0).round().clamp(0.0, 255.0) as u8));
        }
    }
    out
}

/// While alive, glibc fills every new heap allocation with a fixed byte (`mallopt(M_PERTURB)`), so code that
/// reads memory it did not write reads the same bytes in every run. A no-op off glibc.
struct FixedHeap;

impl FixedHeap {
    fn new() -> FixedHeap {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: mallopt only changes an allocator setting; it is thread-safe in glibc.
        unsafe {
            libc::mallopt(libc::M_PERTURB, 0xa5);
        }
        FixedHeap
    }
}

impl Drop for FixedHeap {
    fn drop(&mut self) {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: as above; 0 turns perturbation off.
        unsafe {
            libc::mallopt(libc::M_PERTURB, 0);
        }
    }
}
