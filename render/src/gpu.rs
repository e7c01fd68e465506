//! Device setup, the passes of a frame and the staging-buffer ring.
//!
//! Per scene (`load_scene`): upload the mesh, render one cube shadow map per shadow-casting light and one for
//! the sun (the scene is static, so shadows are rendered once, not per frame). Per frame: a colour pass into a
//! linear HDR target (multisampled when asked, then resolved), a ground-truth pass (never multisampled; merged
//! with the colour pass when colour is not multisampled either), a compute pass that exposes, tone maps and
//! encodes the colour to sRGB RGBA8 and to Y'CbCr 4:2:0, and copies into a ring of staging buffers.

use std::sync::mpsc;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::FrameCamera;
use crate::light::{Emitter, Lighting, exposure_from_ev100};
use crate::mesh::{MAX_IMAGES, SceneMesh, TextureImage, Vertex};
use crate::shadows::{CUBE_FAR_M, CUBE_NEAR_M, cube_face_clip_from_world, sun_clip_from_world};
use crate::textures::{TEXTURE_PX, image_tile, tiles};

/// Frames in flight: a frame's readback is only waited on when its slot comes round again.
const RING_SLOTS: usize = 3;
/// Lights a scene may have (two per room of a six-room apartment fit); the shader's array has this length.
pub const MAX_LIGHTS: usize = 16;
/// Mover slots in the frame uniform: slot 0 is the static scene, so up to 15 objects can move at once.
pub const MAX_MOVER_SLOTS: usize = 16;
/// Ambient zones (rooms) a scene may have.
pub const MAX_ZONES: usize = 8;
const HDR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
const INSTANCE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Uint;
/// Holds the f32 bits of the z-depth (read back as f32): R32Float is not renderable on OpenGL ES.
const DEPTH_OUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Uint;
const ZBUFFER_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
const SHADOW_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// World-space normals encoded as `n * 0.5 + 0.5` (alpha 1 where a surface was drawn, 0 for background).
const NORMAL_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
/// Display gain after exposure: a metered average (about 10 % of saturation, see `light.rs`) shows as middle
/// grey (18 %), as a camera's tone curve does.
const DISPLAY_GAIN: f32 = 0.18 / (12.5 / 120.0);

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(
        "no GPU or software Vulkan adapter was found ({0}); on Debian install Mesa's Vulkan driver with \
         `apt-get install mesa-vulkan-drivers libvulkan1`, or check that WGPU_BACKEND is not set to an unavailable backend"
    )]
    NoAdapter(String),
    #[error("the adapter `{adapter}` refused a device: {message}")]
    Device { adapter: String, message: String },
    #[error("image size {width}x{height} is beyond what the adapter can render (max {max})")]
    Size { width: u32, height: u32, max: u32 },
    #[error("the adapter `{adapter}` cannot render {what}")]
    Unsupported { adapter: String, what: String },
    #[error("reading a frame back from the GPU failed: {0}")]
    Readback(String),
}

/// Which graphics API to render through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BackendChoice {
    /// Vulkan first (a GPU, else lavapipe), then OpenGL/EGL; `WGPU_BACKEND` in the environment overrides.
    #[default]
    Auto,
    Vulkan,
    Gl,
}

/// How the renderer works, fixed for its lifetime.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RenderSettings {
    pub backend: BackendChoice,
    /// Samples per pixel of the colour pass (1 = no anti-aliasing, 4 = 4x MSAA; 0 = 4 on a GPU, 1 on a CPU
    /// rasterizer such as lavapipe, where 4x MSAA halves the frame rate). Ground truth always has one.
    pub msaa_samples: u32,
    /// Texels per side of each face of a light's cube shadow map.
    pub shadow_map_px: u32,
    /// Texels per side of the sun's shadow map.
    pub sun_shadow_map_px: u32,
    /// Also read back the sRGB RGBA8 colour (the Y'CbCr planes always come back).
    pub read_rgba8: bool,
    /// Also read back the linear HDR luminance (RGBA half floats, cd/m²), before exposure and tone mapping
    /// (of frames rendered without sub-frames).
    pub read_radiance: bool,
    /// Also read back the linear HDR luminance integrated over an exposure's sub-frames (RGBA f32, cd/m²),
    /// of frames rendered with sub-frames: the input of the degradations' camera model.
    pub read_linear: bool,
    /// Most sub-frames one exposure may integrate ([`Renderer::render_exposures`]); 0 for none.
    pub max_subframes: u32,
}

impl Default for RenderSettings {
    fn default() -> RenderSettings {
        RenderSettings {
            backend: BackendChoice::Auto,
            msaa_samples: 0,
            shadow_map_px: 512,
            sun_shadow_map_px: 2048,
            read_rgba8: false,
            read_radiance: false,
            read_linear: false,
            max_subframes: 0,
        }
    }
}

/// What rendered the frames, for the dataset's provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdapterSummary {
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
}

/// Where the renderer's time went, summed over all frames so far.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RenderTimings {
    /// Uploading scenes and rendering their shadow maps.
    pub scene_setup: std::time::Duration,
    /// Recording and submitting command buffers.
    pub submit: std::time::Duration,
    /// Waiting for the device to finish a frame (the rendering itself, on lavapipe).
    pub wait: std::time::Duration,
    /// Copying mapped staging buffers into packed CPU images.
    pub unpack: std::time::Duration,
}

/// A frame's colour as the encoder takes it: 8-bit Y'CbCr 4:2:0 (BT.709 matrix, limited range, sRGB transfer),
/// three planes with rows `y_stride` and `c_stride` bytes apart.
pub struct Yuv420<'a> {
    pub y: &'a [u8],
    pub u: &'a [u8],
    pub v: &'a [u8],
    pub y_stride: usize,
    pub c_stride: usize,
}

/// A frame whose colour integrates sub-frames over its exposure: a camera per sub-frame (the scene is not
/// re-uploaded; only cameras change), and per sub-frame and image row the weight of that sub-frame in that row
/// (`row_weights[k * height + row]`, see [`crate::shutter::row_weights`]; a rolling shutter gives later rows later
/// sub-frames). Ground truth comes from `ground_truth`, the camera at the frame's instant.
pub struct Exposure<'a> {
    pub ground_truth: FrameCamera,
    pub subframes: &'a [FrameCamera],
    pub row_weights: &'a [f32],
    /// Where the moving objects are at this frame: entry k is `world_from_rest` (row-major, rigid) of the
    /// vertices with mover slot k + 1 (see [`crate::mesh::SceneMesh::assign_mover`]); slots past its end stay at
    /// rest. Sub-frames use the frame's.
    pub movers: &'a [[[f32; 4]; 4]],
    /// Where the moving objects are at each sub-frame's instant (entry k for sub-frame k, laid out like
    /// `movers`); empty: every sub-frame uses `movers`.
    pub subframe_movers: &'a [Vec<[[f32; 4]; 4]>],
    /// A homogeneous medium (fog, haze) along every camera ray of the colour: `[beta (1/m), airlight r, g, b
    /// (cd/m²)]`; beta 0 for clear air. Background (sky) pixels see the airlight (an infinitely deep medium).
    pub medium: [f32; 4],
}

impl<'a> Exposure<'a> {
    /// A frame with no sub-frames and nothing moving.
    pub fn still(camera: FrameCamera) -> Exposure<'a> {
        Exposure {
            ground_truth: camera,
            subframes: &[],
            row_weights: &[],
            movers: &[],
            subframe_movers: &[],
            medium: [0.0; 4],
        }
    }
}

/// One frame's images, rows packed tightly (except the Y'CbCr planes), row 0 at the top.
pub struct FrameImages<'a> {
    pub index: u32,
    pub yuv: Yuv420<'a>,
    /// RGBA8, sRGB-encoded, tone mapped; empty unless `RenderSettings::read_rgba8`.
    pub color_rgba8: &'a [u8],
    /// Linear luminance per RGB channel (cd/m²) as IEEE half floats, RGBA; empty unless
    /// `RenderSettings::read_radiance`. Convert with [`half_to_f32`].
    pub radiance_rgba16f: &'a [u16],
    /// Linear luminance per RGB channel (cd/m²) integrated over the exposure's sub-frames, RGBA f32; empty
    /// unless `RenderSettings::read_linear` and the frame has sub-frames.
    pub linear_rgba32f: &'a [f32],
    /// z-depth along the optical axis in metres; 0 where nothing was drawn.
    pub depth_m: &'a [f32],
    /// Object id per pixel; 0 for background.
    pub instance: &'a [u16],
    /// World-space unit normal of the visible surface (facing the camera) per pixel, RGBA8: `n * 0.5 + 0.5` in
    /// RGB, alpha 255 where a surface was drawn and 0 for background.
    pub normal_rgba8: &'a [u8],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuLight {
    position: [f32; 4],
    color_cd: [f32; 4],
    direction: [f32; 4],
    params: [f32; 4],
    influence_min: [f32; 4],
    influence_max: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct GpuZone {
    min: [f32; 4],
    max: [f32; 4],
    color: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct FrameUniform {
    clip_from_world: [f32; 16],
    sun_clip_from_world: [f32; 16],
    camera_position: [f32; 4],
    camera_z_row: [f32; 4],
    counts: [u32; 4],
    sun_direction: [f32; 4],
    sun_color_lux: [f32; 4],
    shadow_planes: [f32; 4],
    lights: [GpuLight; MAX_LIGHTS],
    zones: [GpuZone; MAX_ZONES],
    /// world_from_rest per mover slot (column-major); slot 0 is the static scene.
    movers: [[f32; 16]; MAX_MOVER_SLOTS],
    /// x: the medium's extinction (1/m, 0 for none); yzw: its airlight (cd/m²).
    fog: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct FinishUniform {
    exposure: [f32; 4],
    size: [u32; 4],
    flags: [u32; 4],
}

/// True when the axis-aligned box lies wholly on the outer side of one plane of the view frustum (so no pixel
/// of the view sees a point inside it). Conservative: a box near a corner of the frustum may be kept.
fn box_outside_frustum(clip_from_world: &[[f32; 4]; 4], min: [f32; 3], max: [f32; 3]) -> bool {
    let m = clip_from_world;
    let corners = (0..8).map(|k| {
        let p = [
            if k & 1 == 0 { min[0] } else { max[0] },
            if k & 2 == 0 { min[1] } else { max[1] },
            if k & 4 == 0 { min[2] } else { max[2] },
        ];
        let row = |r: usize| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3];
        [row(0), row(1), row(2), row(3)]
    });
    // The six planes in homogeneous clip space, as signed distances that are negative outside:
    // -w <= x <= w, -w <= y <= w, 0 <= z <= w (wgpu's depth range).
    let mut outside = [true; 6];
    for [x, y, z, w] in corners {
        for (o, d) in outside.iter_mut().zip([w + x, w - x, w + y, w - y, z, w - z]) {
            *o &= d < 0.0;
        }
    }
    outside.iter().any(|&o| o)
}

const IDENTITY4: [[f32; 4]; 4] =
    [[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];

/// WGSL matrices are column-major.
fn column_major(m: &[[f32; 4]; 4]) -> [f32; 16] {
    let mut out = [0.0; 16];
    for c in 0..4 {
        for r in 0..4 {
            out[c * 4 + r] = m[r][c];
        }
    }
    out
}

/// A submitted frame awaiting readback: its index, its submission, and the map callbacks' results.
type PendingFrame = (u32, wgpu::SubmissionIndex);
type MapResult = Result<(), wgpu::BufferAsyncError>;

/// Staging buffers of one ring slot, and the CPU copies the frame is unpacked into (allocated once).
struct Slot {
    yuv: wgpu::Buffer,
    rgba: Option<wgpu::Buffer>,
    radiance: Option<wgpu::Buffer>,
    linear: Option<wgpu::Buffer>,
    /// Whether the pending frame copied its accumulator into `linear`.
    linear_pending: bool,
    instance: wgpu::Buffer,
    depth: wgpu::Buffer,
    normal: wgpu::Buffer,
    pending: Option<PendingFrame>,
    /// Where this slot's map callbacks report (one channel per slot, made once).
    mapped_tx: mpsc::Sender<MapResult>,
    mapped_rx: mpsc::Receiver<MapResult>,
    yuv_cpu: Vec<u8>,
    rgba_cpu: Vec<u8>,
    radiance_cpu: Vec<u16>,
    linear_cpu: Vec<f32>,
    instance_cpu: Vec<u16>,
    depth_cpu: Vec<f32>,
    normal_cpu: Vec<u8>,
}

/// Layout of the Y'CbCr planes in the finishing pass's output.
#[derive(Debug, Clone, Copy)]
struct YuvLayout {
    y_stride: usize,
    c_stride: usize,
    chroma_rows: usize,
    height: usize,
}

impl YuvLayout {
    fn new(width: u32, height: u32) -> YuvLayout {
        // One invocation writes 8 luma bytes per row: strides are whole words.
        let y_stride = width.div_ceil(8) as usize * 8;
        YuvLayout {
            y_stride,
            c_stride: y_stride / 2,
            chroma_rows: height.div_ceil(2) as usize,
            height: height as usize,
        }
    }
    fn bytes(&self) -> usize {
        self.y_stride * self.height + 2 * self.c_stride * self.chroma_rows
    }
}

/// The per-scene GPU state: geometry, shadow maps and the bind group that ties them to the frame passes.
struct LoadedScene {
    vertices: wgpu::Buffer,
    indices: wgpu::Buffer,
    index_count: u32,
    bind_group: wgpu::BindGroup,
    uniform: FrameUniform,
}

/// Colour targets: the HDR target the scene is shaded into and, when multisampled, what it resolves into.
struct ColorTargets {
    /// The single-sample HDR image (resolved, when multisampled).
    finished: wgpu::Texture,
    hdr_view: wgpu::TextureView,
    resolved_view: Option<wgpu::TextureView>,
    zbuffer_view: wgpu::TextureView,
}

/// Ground-truth targets (single sample).
struct GroundTruthTargets {
    instance: wgpu::Texture,
    depth_out: wgpu::Texture,
    normal: wgpu::Texture,
    instance_view: wgpu::TextureView,
    depth_out_view: wgpu::TextureView,
    normal_view: wgpu::TextureView,
    zbuffer_view: wgpu::TextureView,
}

/// The render and compute pipelines of a frame. The ground-truth pass runs first; without multisampling its
/// z-buffer serves as the colour pass's depth prepass, so every pixel is shaded once.
struct Pipelines {
    ground_truth: wgpu::RenderPipeline,
    color: wgpu::RenderPipeline,
    /// The colour pass with its own depth test (sub-frames see from other cameras than the ground truth).
    color_own_depth: wgpu::RenderPipeline,
    accumulate: wgpu::ComputePipeline,
    shadow: wgpu::RenderPipeline,
    finish: wgpu::ComputePipeline,
    scene_layout: wgpu::BindGroupLayout,
    shadow_layout: wgpu::BindGroupLayout,
}

/// A renderer for one image size; load a scene, then render camera sequences through it.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    settings: RenderSettings,
    width: u32,
    height: u32,
    pipelines: Pipelines,
    /// Slot 0: the ground-truth camera (and the colour's, without sub-frames); slot k + 1: sub-frame k.
    frame_uniform: wgpu::Buffer,
    uniform_stride: u64,
    finish_uniform: wgpu::Buffer,
    subframe_weights: wgpu::Buffer,
    accumulate_bind_group: wgpu::BindGroup,
    accumulate_stride: u64,
    material_view: wgpu::TextureView,
    material_sampler: wgpu::Sampler,
    shadow_sampler: wgpu::Sampler,
    sun_shadow: wgpu::Texture,
    color: ColorTargets,
    ground_truth: GroundTruthTargets,
    yuv_layout: YuvLayout,
    yuv_buffer: wgpu::Buffer,
    rgba_buffer: wgpu::Buffer,
    accum_buffer: wgpu::Buffer,
    finish_bind_group: wgpu::BindGroup,
    slots: Vec<Slot>,
    scene: Option<LoadedScene>,
    sky: wgpu::Color,
    timings: RenderTimings,
}

fn padded_row(width: u32, bytes_per_px: u32) -> u32 {
    let unpadded = width * bytes_per_px;
    unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

impl Renderer {
    /// Opens the best adapter (a GPU when present, else lavapipe) for `width` x `height` images, with default
    /// settings.
    pub fn new(width: u32, height: u32) -> Result<Renderer, RenderError> {
        Renderer::with_settings(width, height, RenderSettings::default())
    }

    /// Like [`Renderer::new`], through the given graphics API only (unless `Auto`).
    pub fn with_backend(width: u32, height: u32, backend: BackendChoice) -> Result<Renderer, RenderError> {
        Renderer::with_settings(width, height, RenderSettings { backend, ..Default::default() })
    }

    pub fn with_settings(width: u32, height: u32, settings: RenderSettings) -> Result<Renderer, RenderError> {
        let adapter = open_adapter(settings.backend)?;
        let info = adapter.get_info();
        let summary = AdapterSummary {
            name: info.name.clone(),
            backend: format!("{:?}", info.backend),
            device_type: format!("{:?}", info.device_type),
            driver: format!("{} {}", info.driver, info.driver_info).trim().to_string(),
        };
        let max = adapter.limits().max_texture_dimension_2d;
        if width == 0 || height == 0 || width > max || height > max {
            return Err(RenderError::Size { width, height, max });
        }
        let unsupported = |what: String| RenderError::Unsupported { adapter: info.name.clone(), what };
        let hdr = adapter.get_texture_format_features(HDR_FORMAT);
        if !hdr.allowed_usages.contains(wgpu::TextureUsages::RENDER_ATTACHMENT) {
            return Err(unsupported(format!("into {HDR_FORMAT:?} (linear HDR colour)")));
        }
        let mut settings = settings;
        if settings.msaa_samples == 0 {
            settings.msaa_samples = if info.device_type == wgpu::DeviceType::Cpu { 1 } else { 4 };
        }
        if settings.msaa_samples > 1 && !hdr.flags.sample_count_supported(settings.msaa_samples) {
            tracing::warn!(samples = settings.msaa_samples, adapter = %info.name, "MSAA not supported; colour is not anti-aliased");
            settings.msaa_samples = 1;
        }
        let limits = adapter.limits();
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("diorama"),
            required_limits: wgpu::Limits {
                max_texture_dimension_2d: max,
                max_texture_array_layers: limits.max_texture_array_layers,
                ..wgpu::Limits::downlevel_defaults()
            },
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device { adapter: info.name.clone(), message: e.to_string() })?;
        tracing::info!(adapter = %summary.name, backend = %summary.backend, msaa = settings.msaa_samples, "renderer ready");
        Ok(Self::build(device, queue, summary, width, height, settings))
    }

    fn build(
        device: wgpu::Device,
        queue: wgpu::Queue,
        adapter: AdapterSummary,
        width: u32,
        height: u32,
        settings: RenderSettings,
    ) -> Renderer {
        let pipelines = create_pipelines(&device, settings.msaa_samples);
        let align = device.limits().min_uniform_buffer_offset_alignment as u64;
        let uniform_stride = (std::mem::size_of::<FrameUniform>() as u64).div_ceil(align) * align;
        let subframes = settings.max_subframes as u64;
        let frame_uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame uniform"),
            size: uniform_stride * (subframes + 1),
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let finish_uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("finish uniform"),
            size: std::mem::size_of::<FinishUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let material_view = upload_material_textures(&device, &queue, &[]);
        let material_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("materials"),
            address_mode_u: wgpu::AddressMode::Repeat,
            address_mode_v: wgpu::AddressMode::Repeat,
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            mipmap_filter: wgpu::MipmapFilterMode::Linear,
            ..Default::default()
        });
        let shadow_sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("shadow comparison"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            compare: Some(wgpu::CompareFunction::LessEqual),
            ..Default::default()
        });
        let sun_px = settings.sun_shadow_map_px.max(16);
        let sun_shadow = device.create_texture(&wgpu::TextureDescriptor {
            label: Some("sun shadow map"),
            size: wgpu::Extent3d { width: sun_px, height: sun_px, depth_or_array_layers: 1 },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: SHADOW_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let texture = |label, format, samples, usage: wgpu::TextureUsages| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: samples,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | usage,
                view_formats: &[],
            })
        };
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let samples = settings.msaa_samples;
        let binding = wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_SRC;
        let hdr = texture(
            "hdr colour",
            HDR_FORMAT,
            samples,
            if samples == 1 { binding } else { wgpu::TextureUsages::empty() },
        );
        let resolved = (samples > 1).then(|| texture("hdr colour resolved", HDR_FORMAT, 1, binding));
        let color = ColorTargets {
            hdr_view: view(&hdr),
            resolved_view: resolved.as_ref().map(view),
            finished: resolved.unwrap_or(hdr),
            zbuffer_view: view(&texture("z-buffer colour", ZBUFFER_FORMAT, samples, wgpu::TextureUsages::empty())),
        };
        let copy = wgpu::TextureUsages::COPY_SRC;
        let (instance, depth_out, normal) = (
            texture("instance", INSTANCE_FORMAT, 1, copy),
            texture("depth", DEPTH_OUT_FORMAT, 1, copy),
            texture("normal", NORMAL_FORMAT, 1, copy),
        );
        let ground_truth = GroundTruthTargets {
            instance_view: view(&instance),
            depth_out_view: view(&depth_out),
            normal_view: view(&normal),
            // Without multisampling the colour pass tests against the ground-truth pass's z-buffer.
            zbuffer_view: if samples == 1 {
                color.zbuffer_view.clone()
            } else {
                view(&texture("z-buffer ground truth", ZBUFFER_FORMAT, 1, wgpu::TextureUsages::empty()))
            },
            instance,
            depth_out,
            normal,
        };
        let yuv_layout = YuvLayout::new(width, height);
        let storage = |label, size: usize| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: size.max(4) as u64,
                usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
                mapped_at_creation: false,
            })
        };
        let px = (width * height) as usize;
        let yuv_buffer = storage("yuv420", yuv_layout.bytes());
        let rgba_buffer = storage("rgba8", if settings.read_rgba8 { px * 4 } else { 4 });
        let accum_buffer = storage("sub-frame accumulator", if subframes > 0 { px * 16 } else { 16 });
        let subframe_weights = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("sub-frame row weights"),
            size: (subframes.max(1) * height as u64 * 4).max(16),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let accumulate_stride = align.max(16);
        let accumulate_params: Vec<u8> = (0..subframes.max(1))
            .flat_map(|k| {
                let mut slot = vec![0u8; accumulate_stride as usize];
                slot[..16].copy_from_slice(bytemuck::cast_slice(&[k as u32, width, height, 0]));
                slot
            })
            .collect();
        let accumulate_uniform = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("accumulate uniform"),
            contents: &accumulate_params,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let finished_view = color.resolved_view.as_ref().unwrap_or(&color.hdr_view);
        let accumulate_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("accumulate"),
            layout: &pipelines.accumulate.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry { binding: 0, resource: wgpu::BindingResource::TextureView(finished_view) },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &accumulate_uniform,
                        offset: 0,
                        size: std::num::NonZeroU64::new(16),
                    }),
                },
                wgpu::BindGroupEntry { binding: 2, resource: subframe_weights.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: accum_buffer.as_entire_binding() },
            ],
        });
        let finish_bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("finish"),
            layout: &pipelines.finish.get_bind_group_layout(0),
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(
                        color.resolved_view.as_ref().unwrap_or(&color.hdr_view),
                    ),
                },
                wgpu::BindGroupEntry { binding: 1, resource: finish_uniform.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 2, resource: yuv_buffer.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 3, resource: rgba_buffer.as_entire_binding() },
                wgpu::BindGroupEntry { binding: 4, resource: accum_buffer.as_entire_binding() },
            ],
        });
        let staging = |label, size: u64| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let image = |bpp| (padded_row(width, bpp) * height) as u64;
        let slots = (0..RING_SLOTS)
            .map(|_| {
                let (tx, rx) = mpsc::channel();
                Slot {
                    yuv: staging("yuv readback", yuv_layout.bytes() as u64),
                    rgba: settings.read_rgba8.then(|| staging("rgba readback", (px * 4) as u64)),
                    radiance: settings.read_radiance.then(|| staging("radiance readback", image(8))),
                    linear: (settings.read_linear && subframes > 0)
                        .then(|| staging("linear readback", (px * 16) as u64)),
                    linear_pending: false,
                    instance: staging("instance readback", image(2)),
                    depth: staging("depth readback", image(4)),
                    normal: staging("normal readback", image(4)),
                    pending: None,
                    mapped_tx: tx,
                    mapped_rx: rx,
                    yuv_cpu: vec![0; yuv_layout.bytes()],
                    rgba_cpu: if settings.read_rgba8 { vec![0; px * 4] } else { Vec::new() },
                    radiance_cpu: if settings.read_radiance { vec![0; px * 4] } else { Vec::new() },
                    linear_cpu: Vec::new(),
                    instance_cpu: vec![0; px],
                    depth_cpu: vec![0.0; px],
                    normal_cpu: vec![0; px * 4],
                }
            })
            .collect();
        Renderer {
            device,
            queue,
            adapter,
            settings,
            width,
            height,
            pipelines,
            frame_uniform,
            uniform_stride,
            finish_uniform,
            subframe_weights,
            accumulate_bind_group,
            accumulate_stride,
            material_view,
            material_sampler,
            shadow_sampler,
            sun_shadow,
            color,
            ground_truth,
            yuv_layout,
            yuv_buffer,
            rgba_buffer,
            accum_buffer,
            finish_bind_group,
            slots,
            scene: None,
            sky: wgpu::Color::BLACK,
            timings: RenderTimings::default(),
        }
    }

    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    /// The settings in force (MSAA falls back to 1 where the adapter cannot multisample HDR colour).
    pub fn settings(&self) -> RenderSettings {
        self.settings
    }

    pub fn timings(&self) -> RenderTimings {
        self.timings
    }

    /// Uploads a scene's static mesh and lighting, and renders its shadow maps (once: the scene does not move).
    pub fn load_scene(&mut self, mesh: &SceneMesh, lighting: &Lighting) {
        let started = std::time::Instant::now();
        let vertices = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("scene vertices"),
            contents: bytemuck::cast_slice(&mesh.vertices),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let indices = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("scene indices"),
            contents: bytemuck::cast_slice(&mesh.indices),
            usage: wgpu::BufferUsages::INDEX,
        });
        if lighting.lights.len() > MAX_LIGHTS {
            tracing::warn!(
                lights = lighting.lights.len(),
                "the renderer takes {MAX_LIGHTS} lights; the rest are left out"
            );
        }
        if lighting.ambient.len() > MAX_ZONES {
            tracing::warn!(
                zones = lighting.ambient.len(),
                "the renderer takes {MAX_ZONES} ambient zones; the rest are left out"
            );
        }
        let lights = &lighting.lights[..lighting.lights.len().min(MAX_LIGHTS)];
        let shadowed: Vec<usize> = (0..lights.len()).filter(|&i| lights[i].casts_shadows).collect();
        let (lo, hi) = mesh_bounds(mesh);
        let sun_px = self.sun_shadow.width();
        let sun_matrix = lighting.sun.map(|s| sun_clip_from_world(s.direction_to_sun, lo, hi, sun_px));

        // One view per shadow-map face (and the sun's), each with its matrix at a dynamic offset.
        let cube_px = self.settings.shadow_map_px.max(16);
        let cube_layers = (shadowed.len() * 6).max(1) as u32;
        let cube = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("cube shadow maps"),
            size: wgpu::Extent3d { width: cube_px, height: cube_px, depth_or_array_layers: cube_layers },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: SHADOW_FORMAT,
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
            view_formats: &[],
        });
        let mut views: Vec<(wgpu::TextureView, [[f32; 4]; 4])> = Vec::new();
        for (k, &i) in shadowed.iter().enumerate() {
            for face in 0..6 {
                let view = cube.create_view(&wgpu::TextureViewDescriptor {
                    dimension: Some(wgpu::TextureViewDimension::D2),
                    base_array_layer: (k * 6 + face) as u32,
                    array_layer_count: Some(1),
                    ..Default::default()
                });
                views.push((view, cube_face_clip_from_world(lights[i].position, face)));
            }
        }
        if let Some((m, _)) = sun_matrix {
            views.push((self.sun_shadow.create_view(&Default::default()), m));
        }
        if !views.is_empty() {
            self.render_shadow_maps(&views, &vertices, &indices, mesh.indices.len() as u32);
        }

        let uniform = self.scene_uniform(lighting, &shadowed, sun_matrix);
        if mesh.images.len() > MAX_IMAGES {
            tracing::warn!(images = mesh.images.len(), "the renderer takes {MAX_IMAGES} images; the rest are left out");
        }
        // Asset images make a scene-specific texture array; otherwise the procedural one is shared.
        let scene_textures =
            (!mesh.images.is_empty()).then(|| upload_material_textures(&self.device, &self.queue, &mesh.images));
        let material_view = scene_textures.as_ref().unwrap_or(&self.material_view);
        let cube_view = cube.create_view(&wgpu::TextureViewDescriptor {
            dimension: Some(wgpu::TextureViewDimension::D2Array),
            ..Default::default()
        });
        let sun_view = self.sun_shadow.create_view(&Default::default());
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("scene"),
            layout: &self.pipelines.scene_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                        buffer: &self.frame_uniform,
                        offset: 0,
                        size: std::num::NonZeroU64::new(std::mem::size_of::<FrameUniform>() as u64),
                    }),
                },
                wgpu::BindGroupEntry { binding: 1, resource: wgpu::BindingResource::TextureView(material_view) },
                wgpu::BindGroupEntry { binding: 2, resource: wgpu::BindingResource::Sampler(&self.material_sampler) },
                wgpu::BindGroupEntry { binding: 3, resource: wgpu::BindingResource::TextureView(&cube_view) },
                wgpu::BindGroupEntry { binding: 4, resource: wgpu::BindingResource::Sampler(&self.shadow_sampler) },
                wgpu::BindGroupEntry { binding: 5, resource: wgpu::BindingResource::TextureView(&sun_view) },
            ],
        });
        let sky = lighting.sky_color.map(|c| (c * lighting.sky_luminance_nits) as f64);
        self.sky = wgpu::Color { r: sky[0], g: sky[1], b: sky[2], a: 1.0 };
        self.scene =
            Some(LoadedScene { vertices, indices, index_count: mesh.indices.len() as u32, bind_group, uniform });
        self.timings.scene_setup += started.elapsed();
    }

    fn render_shadow_maps(
        &self,
        views: &[(wgpu::TextureView, [[f32; 4]; 4])],
        vertices: &wgpu::Buffer,
        indices: &wgpu::Buffer,
        index_count: u32,
    ) {
        let align = self.device.limits().min_uniform_buffer_offset_alignment.max(64) as usize;
        let mut data = vec![0u8; align * views.len()];
        for (k, (_, m)) in views.iter().enumerate() {
            data[k * align..k * align + 64].copy_from_slice(bytemuck::cast_slice(&column_major(m)));
        }
        let matrices = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("shadow views"),
            contents: &data,
            usage: wgpu::BufferUsages::UNIFORM,
        });
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("shadow view"),
            layout: &self.pipelines.shadow_layout,
            entries: &[wgpu::BindGroupEntry {
                binding: 0,
                resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
                    buffer: &matrices,
                    offset: 0,
                    size: std::num::NonZeroU64::new(64),
                }),
            }],
        });
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("shadows") });
        for (k, (view, _)) in views.iter().enumerate() {
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("shadow map"),
                color_attachments: &[],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view,
                    depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(1.0), store: wgpu::StoreOp::Store }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(&self.pipelines.shadow);
            pass.set_bind_group(0, &bind_group, &[(k * align) as u32]);
            pass.set_vertex_buffer(0, vertices.slice(..));
            pass.set_index_buffer(indices.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..index_count, 0, 0..1);
        }
        self.queue.submit([enc.finish()]);
    }

    /// The frame uniform's scene part: lights, ambient zones, the sun.
    fn scene_uniform(
        &self,
        lighting: &Lighting,
        shadowed: &[usize],
        sun: Option<([[f32; 4]; 4], f32)>,
    ) -> FrameUniform {
        let mut u = FrameUniform::zeroed();
        let lights = &lighting.lights[..lighting.lights.len().min(MAX_LIGHTS)];
        for (i, (g, l)) in u.lights.iter_mut().zip(lights).enumerate() {
            let layer = shadowed.iter().position(|&s| s == i).map_or(-1.0, |k| (k * 6) as f32);
            let cd = l.peak_intensity_cd();
            let (kind, dir, cos_outer, cos_inner) = match l.emitter {
                Emitter::Point => (0.0, [0.0, 0.0, -1.0], -1.0, -1.0),
                Emitter::Panel { direction } => (1.0, direction, 0.0, 0.0),
                Emitter::Spot { direction, half_angle_rad } => {
                    (2.0, direction, half_angle_rad.cos(), (half_angle_rad * 0.9).cos())
                }
            };
            *g = GpuLight {
                position: [l.position[0], l.position[1], l.position[2], kind],
                color_cd: [l.color[0] * cd, l.color[1] * cd, l.color[2] * cd, layer],
                direction: [dir[0], dir[1], dir[2], cos_outer],
                params: [cos_inner, crate::light::INFLUENCE_FADE_M, 0.0, 0.0],
                influence_min: l.influence.map_or([-1e9; 4], |(lo, _)| [lo[0], lo[1], lo[2], 0.0]),
                influence_max: l.influence.map_or([1e9; 4], |(_, hi)| [hi[0], hi[1], hi[2], 0.0]),
            };
        }
        let zones = &lighting.ambient[..lighting.ambient.len().min(MAX_ZONES)];
        for (g, z) in u.zones.iter_mut().zip(zones) {
            *g = GpuZone {
                min: [z.min[0], z.min[1], z.min[2], z.illuminance_lux],
                max: [z.max[0], z.max[1], z.max[2], z.down_ratio],
                color: [z.color[0], z.color[1], z.color[2], 0.0],
            };
        }
        let sun_on = lighting.sun.is_some() && sun.is_some();
        u.counts = [lights.len() as u32, zones.len() as u32, u32::from(sun_on), self.settings.shadow_map_px.max(16)];
        if let (Some(s), Some((m, texel))) = (lighting.sun, sun) {
            u.sun_clip_from_world = column_major(&m);
            let d = s.direction_to_sun;
            let len = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt().max(1e-9);
            u.sun_direction = [d[0] / len, d[1] / len, d[2] / len, texel];
            u.sun_color_lux =
                [s.color[0] * s.illuminance_lux, s.color[1] * s.illuminance_lux, s.color[2] * s.illuminance_lux, 0.0];
        }
        u.shadow_planes = [CUBE_NEAR_M, CUBE_FAR_M, 0.0, 0.0];
        u
    }

    /// Renders one frame per camera and hands each frame's images to `sink`, in order. Up to `RING_SLOTS`
    /// frames are in flight: frame k's readback is waited on only when frame k + RING_SLOTS needs its slot.
    pub fn render_sequence<E: From<RenderError>>(
        &mut self,
        cameras: &[FrameCamera],
        sink: impl FnMut(FrameImages<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let exposures: Vec<Exposure<'_>> = cameras.iter().map(|&c| Exposure::still(c)).collect();
        self.render_exposures(&exposures, sink)
    }

    /// Like [`Renderer::render_sequence`], each frame's colour integrating its sub-frames (when it has any).
    pub fn render_exposures<E: From<RenderError>>(
        &mut self,
        exposures: &[Exposure<'_>],
        mut sink: impl FnMut(FrameImages<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        for e in exposures {
            let k = e.subframes.len();
            if k > self.settings.max_subframes as usize {
                return Err(RenderError::Unsupported {
                    adapter: self.adapter.name.clone(),
                    what: format!(
                        "{k} sub-frames in one exposure; this renderer was set up for at most {} \
                         (RenderSettings::max_subframes)",
                        self.settings.max_subframes
                    ),
                }
                .into());
            }
            if e.row_weights.len() != k * self.height as usize {
                return Err(RenderError::Unsupported {
                    adapter: self.adapter.name.clone(),
                    what: format!("{} row weights for {k} sub-frames of {} rows", e.row_weights.len(), self.height),
                }
                .into());
            }
        }
        for (k, e) in exposures.iter().enumerate() {
            let slot = k % RING_SLOTS;
            self.finish_slot(slot, &mut sink)?;
            self.submit_frame(k as u32, slot, e);
        }
        for k in exposures.len()..exposures.len() + RING_SLOTS {
            self.finish_slot(k % RING_SLOTS, &mut sink)?;
        }
        Ok(())
    }

    fn camera_uniform(
        &self,
        scene: &LoadedScene,
        cam: &FrameCamera,
        movers: &[[[f32; 4]; 4]],
        medium: [f32; 4],
    ) -> FrameUniform {
        let mut u = scene.uniform;
        u.fog = medium;
        for (k, slot) in u.movers.iter_mut().enumerate() {
            let m = if k == 0 { None } else { movers.get(k - 1) };
            *slot = column_major(m.unwrap_or(&IDENTITY4));
        }
        let clip_from_world = cam.clip_from_world(self.width, self.height);
        u.clip_from_world = column_major(&clip_from_world);
        // Only lights whose influence box reaches into the view are shaded (the others would add exactly zero,
        // and on a CPU rasterizer even a skipped light costs time). The order of the kept lights (and so of
        // the sums) is unchanged.
        let mut kept = 0;
        for i in 0..u.counts[0] as usize {
            let light = u.lights[i];
            let (lo, hi) = (&light.influence_min, &light.influence_max);
            if !box_outside_frustum(&clip_from_world, [lo[0], lo[1], lo[2]], [hi[0], hi[1], hi[2]]) {
                u.lights[kept] = light;
                kept += 1;
            }
        }
        u.counts[0] = kept as u32;
        u.camera_position = [cam.position[0], cam.position[1], cam.position[2], 1.0];
        u.camera_z_row = cam.camera_from_world()[2];
        u
    }

    fn submit_frame(&mut self, index: u32, slot: usize, exposure: &Exposure<'_>) {
        let started = std::time::Instant::now();
        let cam = &exposure.ground_truth;
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        // Queue writes land before the next submit, so each frame sees its own cameras.
        if let Some(scene) = &self.scene {
            let cams = std::iter::once(cam).chain(exposure.subframes);
            for (i, c) in cams.enumerate() {
                // Slot 0 (ground truth) and sub-frames without their own object poses use the frame's.
                let movers = match i {
                    0 => exposure.movers,
                    _ => exposure.subframe_movers.get(i - 1).map_or(exposure.movers, Vec::as_slice),
                };
                let u = self.camera_uniform(scene, c, movers, exposure.medium);
                self.queue.write_buffer(&self.frame_uniform, i as u64 * self.uniform_stride, bytemuck::bytes_of(&u));
            }
        }
        if !exposure.subframes.is_empty() {
            self.queue.write_buffer(&self.subframe_weights, 0, bytemuck::cast_slice(exposure.row_weights));
        }
        let finish = FinishUniform {
            exposure: [exposure_from_ev100(cam.ev100), DISPLAY_GAIN, 0.0, 0.0],
            size: [self.width, self.height, self.yuv_layout.y_stride as u32, self.yuv_layout.c_stride as u32],
            flags: [u32::from(self.settings.read_rgba8), u32::from(!exposure.subframes.is_empty()), 0, 0],
        };
        self.queue.write_buffer(&self.finish_uniform, 0, bytemuck::bytes_of(&finish));
        self.encode_scene_passes(&mut enc, exposure.subframes.len(), exposure.medium);
        {
            let mut pass =
                enc.begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("finish"), timestamp_writes: None });
            pass.set_pipeline(&self.pipelines.finish);
            pass.set_bind_group(0, &self.finish_bind_group, &[]);
            pass.dispatch_workgroups(self.width.div_ceil(8 * 8), self.height.div_ceil(2 * 8), 1);
        }
        let s = &self.slots[slot];
        let gt = &self.ground_truth;
        let copies = [
            Some((&gt.instance, &s.instance, 2)),
            Some((&gt.depth_out, &s.depth, 4)),
            Some((&gt.normal, &s.normal, 4)),
            s.radiance.as_ref().map(|r| (&self.color.finished, r, 8)),
        ];
        for (tex, buf, bpp) in copies.into_iter().flatten() {
            enc.copy_texture_to_buffer(
                wgpu::TexelCopyTextureInfo {
                    texture: tex,
                    mip_level: 0,
                    origin: wgpu::Origin3d::ZERO,
                    aspect: wgpu::TextureAspect::All,
                },
                wgpu::TexelCopyBufferInfo {
                    buffer: buf,
                    layout: wgpu::TexelCopyBufferLayout {
                        offset: 0,
                        bytes_per_row: Some(padded_row(self.width, bpp)),
                        rows_per_image: None,
                    },
                },
                wgpu::Extent3d { width: self.width, height: self.height, depth_or_array_layers: 1 },
            );
        }
        enc.copy_buffer_to_buffer(&self.yuv_buffer, 0, &s.yuv, 0, None);
        if let Some(rgba) = &s.rgba {
            enc.copy_buffer_to_buffer(&self.rgba_buffer, 0, rgba, 0, None);
        }
        let linear = s.linear.as_ref().filter(|_| !exposure.subframes.is_empty());
        if let Some(linear) = linear {
            enc.copy_buffer_to_buffer(&self.accum_buffer, 0, linear, 0, None);
        }
        let submission = self.queue.submit([enc.finish()]);
        let buffers = [
            Some(&s.yuv),
            s.rgba.as_ref(),
            s.radiance.as_ref(),
            linear,
            Some(&s.instance),
            Some(&s.depth),
            Some(&s.normal),
        ];
        for buf in buffers.into_iter().flatten() {
            let tx = s.mapped_tx.clone();
            buf.map_async(wgpu::MapMode::Read, .., move |r| {
                let _ = tx.send(r);
            });
        }
        self.slots[slot].linear_pending = linear.is_some();
        self.slots[slot].pending = Some((index, submission));
        self.timings.submit += started.elapsed();
    }

    /// The ground-truth pass, then the colour pass: single-sampled, it only shades the surfaces the ground-truth
    /// pass's depth test chose; multisampled, it keeps its own z-buffer (a multisampled depth prepass cost
    /// lavapipe more than it saved).
    fn encode_scene_passes(&self, enc: &mut wgpu::CommandEncoder, subframes: usize, medium: [f32; 4]) {
        let attach = |view, resolve_target, clear, store| {
            Some(wgpu::RenderPassColorAttachment {
                view,
                depth_slice: None,
                resolve_target,
                ops: wgpu::Operations { load: wgpu::LoadOp::Clear(clear), store },
            })
        };
        let depth = |view, load, store| {
            Some(wgpu::RenderPassDepthStencilAttachment {
                view,
                depth_ops: Some(wgpu::Operations { load, store }),
                stencil_ops: None,
            })
        };
        let gt = &self.ground_truth;
        let none = wgpu::Color::TRANSPARENT;
        let (store, discard, clear) = (wgpu::StoreOp::Store, wgpu::StoreOp::Discard, wgpu::LoadOp::Clear(1.0));
        let single = self.settings.msaa_samples == 1;
        // Where nothing is drawn (through a window, above a balcony) the colour is the sky; instance 0 and depth
        // 0 mark it as background.
        let resolved = self.color.resolved_view.as_ref();
        // Through a medium, the sky is infinitely far: it shows the airlight.
        let sky = if medium[0] > 0.0 {
            wgpu::Color { r: medium[1] as f64, g: medium[2] as f64, b: medium[3] as f64, a: 1.0 }
        } else {
            self.sky
        };
        let hdr = attach(&self.color.hdr_view, resolved, sky, if resolved.is_some() { discard } else { store });
        let ground_truth = [
            attach(&gt.instance_view, None, none, store),
            attach(&gt.depth_out_view, None, none, store),
            attach(&gt.normal_view, None, none, store),
        ];
        // Without a scene the passes only clear their targets: the frame reads as all background.
        let draw = |pass: &mut wgpu::RenderPass<'_>, pipeline: &wgpu::RenderPipeline, uniform_slot: usize| {
            let Some(scene) = &self.scene else { return };
            pass.set_pipeline(pipeline);
            pass.set_bind_group(0, &scene.bind_group, &[(uniform_slot as u64 * self.uniform_stride) as u32]);
            pass.set_vertex_buffer(0, scene.vertices.slice(..));
            pass.set_index_buffer(scene.indices.slice(..), wgpu::IndexFormat::Uint32);
            pass.draw_indexed(0..scene.index_count, 0, 0..1);
        };
        let begin = |enc: &mut wgpu::CommandEncoder,
                     attachments: &[Option<wgpu::RenderPassColorAttachment>],
                     depth_attachment| {
            enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("scene"),
                color_attachments: attachments,
                depth_stencil_attachment: depth_attachment,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            })
            .forget_lifetime()
        };
        {
            let keep = if single && subframes == 0 { store } else { discard };
            let mut pass = begin(enc, &ground_truth, depth(&gt.zbuffer_view, clear, keep));
            draw(&mut pass, &self.pipelines.ground_truth, 0);
        }
        if subframes == 0 {
            let load = if single { wgpu::LoadOp::Load } else { clear };
            let mut pass = begin(enc, &[hdr], depth(&self.color.zbuffer_view, load, discard));
            draw(&mut pass, &self.pipelines.color, 0);
            return;
        }
        // Sub-frames: each one's colour from its own camera (its own depth test), then added into the
        // accumulator with its row weights.
        for k in 0..subframes {
            {
                let mut pass = begin(enc, &[hdr.clone()], depth(&self.color.zbuffer_view, clear, discard));
                draw(&mut pass, &self.pipelines.color_own_depth, k + 1);
            }
            let mut pass = enc
                .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some("accumulate"), timestamp_writes: None });
            pass.set_pipeline(&self.pipelines.accumulate);
            pass.set_bind_group(0, &self.accumulate_bind_group, &[(k as u64 * self.accumulate_stride) as u32]);
            pass.dispatch_workgroups(self.width.div_ceil(8), self.height.div_ceil(8), 1);
        }
    }

    /// Waits for the slot's frame (if any), unpacks it and passes it on.
    fn finish_slot<E: From<RenderError>>(
        &mut self,
        slot: usize,
        sink: &mut impl FnMut(FrameImages<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some((index, submission)) = self.slots[slot].pending.take() else { return Ok(()) };
        let started = std::time::Instant::now();
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        let buffers = 4
            + usize::from(self.settings.read_rgba8)
            + usize::from(self.settings.read_radiance)
            + usize::from(self.slots[slot].linear_pending);
        for _ in 0..buffers {
            self.slots[slot]
                .mapped_rx
                .recv()
                .map_err(|e| RenderError::Readback(e.to_string()))?
                .map_err(|e| RenderError::Readback(e.to_string()))?;
        }
        let unpacking = std::time::Instant::now();
        self.timings.wait += unpacking - started;
        let (w, h) = (self.width as usize, self.height as usize);
        let s = &mut self.slots[slot];
        let yuv_bytes = s.yuv_cpu.len();
        unpack(&s.yuv, yuv_bytes, yuv_bytes, 1, &mut s.yuv_cpu)?;
        if let Some(rgba) = &s.rgba {
            unpack(rgba, w * h * 4, w * h * 4, 1, &mut s.rgba_cpu)?;
        }
        if let Some(radiance) = &s.radiance {
            unpack(
                radiance,
                padded_row(self.width, 8) as usize,
                w * 8,
                h,
                bytemuck::cast_slice_mut(&mut s.radiance_cpu),
            )?;
        }
        s.linear_cpu.clear();
        if let Some(linear) = s.linear.as_ref().filter(|_| s.linear_pending) {
            s.linear_cpu.resize(w * h * 4, 0.0);
            unpack(linear, w * 16, w * 16, h, bytemuck::cast_slice_mut(&mut s.linear_cpu))?;
        }
        unpack(
            &s.instance,
            padded_row(self.width, 2) as usize,
            w * 2,
            h,
            bytemuck::cast_slice_mut(&mut s.instance_cpu),
        )?;
        unpack(&s.depth, padded_row(self.width, 4) as usize, w * 4, h, bytemuck::cast_slice_mut(&mut s.depth_cpu))?;
        unpack(&s.normal, padded_row(self.width, 4) as usize, w * 4, h, &mut s.normal_cpu)?;
        self.timings.unpack += unpacking.elapsed();
        let l = self.yuv_layout;
        let (luma, chroma) = s.yuv_cpu.split_at(l.y_stride * l.height);
        let (u, v) = chroma.split_at(l.c_stride * l.chroma_rows);
        sink(FrameImages {
            index,
            yuv: Yuv420 { y: luma, u, v, y_stride: l.y_stride, c_stride: l.c_stride },
            color_rgba8: &s.rgba_cpu,
            radiance_rgba16f: &s.radiance_cpu,
            linear_rgba32f: &s.linear_cpu,
            depth_m: &s.depth_cpu,
            instance: &s.instance_cpu,
            normal_rgba8: &s.normal_cpu,
        })
    }
}

/// An IEEE 754 half float's value.
pub fn half_to_f32(h: u16) -> f32 {
    let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exp = ((h >> 10) & 0x1f) as i32;
    let mant = (h & 0x3ff) as f32;
    sign * match exp {
        0 => mant * 2f32.powi(-24),
        31 => {
            if mant == 0.0 {
                f32::INFINITY
            } else {
                f32::NAN
            }
        }
        _ => (1.0 + mant / 1024.0) * 2f32.powi(exp - 15),
    }
}

/// Axis-aligned bounds of a mesh (a unit box at the origin when it is empty).
fn mesh_bounds(mesh: &SceneMesh) -> ([f32; 3], [f32; 3]) {
    if mesh.vertices.is_empty() {
        return ([0.0; 3], [1.0; 3]);
    }
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for v in &mesh.vertices {
        for i in 0..3 {
            lo[i] = lo[i].min(v.position[i]);
            hi[i] = hi[i].max(v.position[i]);
        }
    }
    (lo, hi)
}

/// The procedural material textures as one array texture with mips (layer = `Texture as u32`).
/// Layers: the procedural textures, then `images` (a scene's asset textures) resampled to the same size.
fn upload_material_textures(device: &wgpu::Device, queue: &wgpu::Queue, images: &[TextureImage]) -> wgpu::TextureView {
    let image_tiles: Vec<Vec<Vec<u8>>> =
        images.iter().take(MAX_IMAGES).map(|i| image_tile(i, TEXTURE_PX as usize)).collect();
    let layers: Vec<&Vec<Vec<u8>>> = tiles().iter().map(|t| &t.levels).chain(image_tiles.iter()).collect();
    let mips = layers[0].len() as u32;
    let texture = device.create_texture(&wgpu::TextureDescriptor {
        label: Some("material textures"),
        size: wgpu::Extent3d { width: TEXTURE_PX, height: TEXTURE_PX, depth_or_array_layers: layers.len() as u32 },
        mip_level_count: mips,
        sample_count: 1,
        dimension: wgpu::TextureDimension::D2,
        format: wgpu::TextureFormat::Rgba8Unorm,
        usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
        view_formats: &[],
    });
    for (layer, levels) in layers.iter().enumerate() {
        for (level, data) in levels.iter().enumerate() {
            let size = (TEXTURE_PX >> level).max(1);
            queue.write_texture(
                wgpu::TexelCopyTextureInfo {
                    texture: &texture,
                    mip_level: level as u32,
                    origin: wgpu::Origin3d { x: 0, y: 0, z: layer as u32 },
                    aspect: wgpu::TextureAspect::All,
                },
                data,
                wgpu::TexelCopyBufferLayout { offset: 0, bytes_per_row: Some(size * 4), rows_per_image: Some(size) },
                wgpu::Extent3d { width: size, height: size, depth_or_array_layers: 1 },
            );
        }
    }
    texture.create_view(&wgpu::TextureViewDescriptor {
        dimension: Some(wgpu::TextureViewDimension::D2Array),
        ..Default::default()
    })
}

fn create_pipelines(device: &wgpu::Device, samples: u32) -> Pipelines {
    let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("diorama scene"),
        source: wgpu::ShaderSource::Wgsl(include_str!("shader.wgsl").into()),
    });
    let shadow_shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("diorama shadows"),
        source: wgpu::ShaderSource::Wgsl(include_str!("shadow.wgsl").into()),
    });
    let finish_shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("diorama finish"),
        source: wgpu::ShaderSource::Wgsl(include_str!("finish.wgsl").into()),
    });
    let fragment = wgpu::ShaderStages::FRAGMENT;
    let entry = |binding, visibility, ty| wgpu::BindGroupLayoutEntry { binding, visibility, ty, count: None };
    let scene_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("scene"),
        entries: &[
            entry(
                0,
                wgpu::ShaderStages::VERTEX_FRAGMENT,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: std::num::NonZeroU64::new(std::mem::size_of::<FrameUniform>() as u64),
                },
            ),
            entry(
                1,
                fragment,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: true },
                    view_dimension: wgpu::TextureViewDimension::D2Array,
                    multisampled: false,
                },
            ),
            entry(2, fragment, wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering)),
            entry(
                3,
                fragment,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Depth,
                    view_dimension: wgpu::TextureViewDimension::D2Array,
                    multisampled: false,
                },
            ),
            entry(4, fragment, wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Comparison)),
            entry(
                5,
                fragment,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Depth,
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
            ),
        ],
    });
    let shadow_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("shadow view"),
        entries: &[entry(
            0,
            wgpu::ShaderStages::VERTEX,
            wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: true,
                min_binding_size: std::num::NonZeroU64::new(64),
            },
        )],
    });
    let layout_of = |bgl: &wgpu::BindGroupLayout| {
        device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: None,
            bind_group_layouts: &[Some(bgl)],
            immediate_size: 0,
        })
    };
    let scene_pipeline_layout = layout_of(&scene_layout);
    let attributes = wgpu::vertex_attr_array![
        0 => Float32x3, 1 => Float32x3, 2 => Float32x2, 3 => Float32x3, 4 => Uint32, 5 => Uint32
    ];
    let vertex_layout = wgpu::VertexBufferLayout {
        array_stride: std::mem::size_of::<Vertex>() as u64,
        step_mode: wgpu::VertexStepMode::Vertex,
        attributes: &attributes,
    };
    let target = |format| Some(wgpu::ColorTargetState { format, blend: None, write_mask: wgpu::ColorWrites::ALL });
    // `shade`: test against an existing z-buffer without writing it.
    let scene_pipeline = |label, fs: &str, targets: &[Option<wgpu::ColorTargetState>], samples: u32, shade: bool| {
        device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some(label),
            layout: Some(&scene_pipeline_layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(vertex_layout.clone())],
            },
            primitive: wgpu::PrimitiveState { cull_mode: Some(wgpu::Face::Back), ..Default::default() },
            depth_stencil: Some(wgpu::DepthStencilState {
                format: ZBUFFER_FORMAT,
                depth_write_enabled: Some(!shade),
                depth_compare: Some(if shade { wgpu::CompareFunction::LessEqual } else { wgpu::CompareFunction::Less }),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: wgpu::MultisampleState { count: samples, ..Default::default() },
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some(fs),
                compilation_options: Default::default(),
                targets,
            }),
            multiview_mask: None,
            cache: None,
        })
    };
    let gt_targets = [target(INSTANCE_FORMAT), target(DEPTH_OUT_FORMAT), target(NORMAL_FORMAT)];
    let ground_truth = scene_pipeline("ground truth", "fs_ground_truth", &gt_targets, 1, false);
    let color = scene_pipeline("colour", "fs_color", &[target(HDR_FORMAT)], samples, samples == 1);
    let color_own_depth = scene_pipeline("colour (own depth)", "fs_color", &[target(HDR_FORMAT)], samples, false);
    let accumulate_shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("diorama accumulate"),
        source: wgpu::ShaderSource::Wgsl(include_str!("accumulate.wgsl").into()),
    });
    let accumulate_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
        label: Some("accumulate"),
        entries: &[
            entry(
                0,
                wgpu::ShaderStages::COMPUTE,
                wgpu::BindingType::Texture {
                    sample_type: wgpu::TextureSampleType::Float { filterable: false },
                    view_dimension: wgpu::TextureViewDimension::D2,
                    multisampled: false,
                },
            ),
            entry(
                1,
                wgpu::ShaderStages::COMPUTE,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: true,
                    min_binding_size: std::num::NonZeroU64::new(16),
                },
            ),
            entry(
                2,
                wgpu::ShaderStages::COMPUTE,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: true },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            ),
            entry(
                3,
                wgpu::ShaderStages::COMPUTE,
                wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Storage { read_only: false },
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
            ),
        ],
    });
    let accumulate_pipeline_layout = layout_of(&accumulate_layout);
    let accumulate = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("accumulate"),
        layout: Some(&accumulate_pipeline_layout),
        module: &accumulate_shader,
        entry_point: Some("accumulate"),
        compilation_options: Default::default(),
        cache: None,
    });
    let shadow_pipeline_layout = layout_of(&shadow_layout);
    let shadow = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("shadow"),
        layout: Some(&shadow_pipeline_layout),
        vertex: wgpu::VertexState {
            module: &shadow_shader,
            entry_point: Some("vs_shadow"),
            compilation_options: Default::default(),
            buffers: &[Some(vertex_layout.clone())],
        },
        // Both faces: walls are closed boxes, but a light inside a fixture must not see through it.
        primitive: wgpu::PrimitiveState { cull_mode: None, ..Default::default() },
        depth_stencil: Some(wgpu::DepthStencilState {
            format: SHADOW_FORMAT,
            depth_write_enabled: Some(true),
            depth_compare: Some(wgpu::CompareFunction::Less),
            stencil: Default::default(),
            bias: wgpu::DepthBiasState { constant: 2, slope_scale: 1.5, clamp: 0.0 },
        }),
        multisample: Default::default(),
        fragment: None,
        multiview_mask: None,
        cache: None,
    });
    let finish = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("finish"),
        layout: None,
        module: &finish_shader,
        entry_point: Some("finish"),
        compilation_options: Default::default(),
        cache: None,
    });
    Pipelines { ground_truth, color, color_own_depth, accumulate, shadow, finish, scene_layout, shadow_layout }
}

/// The best adapter: with `WGPU_BACKEND` set, from those backends only; otherwise Vulkan (a GPU, else lavapipe)
/// first and OpenGL/EGL as the fallback, so the usual path never probes EGL.
fn open_adapter(choice: BackendChoice) -> Result<wgpu::Adapter, RenderError> {
    let options =
        wgpu::RequestAdapterOptions { power_preference: wgpu::PowerPreference::HighPerformance, ..Default::default() };
    let from_env = std::env::var_os("WGPU_BACKEND").is_some();
    let tries: &[Option<wgpu::Backends>] = match choice {
        BackendChoice::Auto if from_env => &[None],
        BackendChoice::Auto => {
            &[Some(wgpu::Backends::VULKAN | wgpu::Backends::METAL | wgpu::Backends::DX12), Some(wgpu::Backends::GL)]
        }
        BackendChoice::Vulkan => &[Some(wgpu::Backends::VULKAN)],
        BackendChoice::Gl => &[Some(wgpu::Backends::GL)],
    };
    let mut last = String::new();
    for backends in tries {
        let mut desc = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
        if let Some(b) = backends {
            desc.backends = *b;
        }
        let instance = wgpu::Instance::new(desc);
        match pollster::block_on(instance.request_adapter(&options)) {
            Ok(adapter) => return Ok(adapter),
            Err(e) => last = e.to_string(),
        }
    }
    if choice != BackendChoice::Auto {
        last = format!("render.backend = {choice:?} was asked for: {last}");
    }
    Err(RenderError::NoAdapter(last))
}

/// Copies a mapped staging buffer's padded rows into a packed CPU image, then unmaps it.
fn unpack(buf: &wgpu::Buffer, padded: usize, row: usize, rows: usize, out: &mut [u8]) -> Result<(), RenderError> {
    {
        let view = buf.get_mapped_range(..).map_err(|e| RenderError::Readback(e.to_string()))?;
        for (dst, src) in out.chunks_exact_mut(row).zip(view.chunks(padded)).take(rows) {
            dst.copy_from_slice(&src[..row]);
        }
    }
    buf.unmap();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::light::{Light, Sun};
    use crate::mesh::Surface;

    const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    /// Camera at the origin looking along +y: right = +x, down = -z.
    #[test]
    fn boxes_outside_the_view_frustum_are_culled_and_the_rest_kept() {
        // At the origin looking along +x, 90 degrees across.
        let cam = FrameCamera::looking_along([0.0; 3], [1.0, 0.0, 0.0], 32.0, 64, 48, 7.0);
        let m = cam.clip_from_world(64, 48);
        let outside = |min, max| box_outside_frustum(&m, min, max);
        assert!(!outside([2.0, -0.5, -0.5], [3.0, 0.5, 0.5]), "straight ahead");
        assert!(!outside([-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]), "around the camera");
        assert!(!outside([-5.0, 1.0, -0.5], [5.0, 2.0, 0.5]), "crossing the left edge");
        assert!(outside([-3.0, -0.5, -0.5], [-2.0, 0.5, 0.5]), "behind");
        assert!(outside([1.0, 2.0, -0.5], [1.5, 3.0, 0.5]), "left of the 45-degree edge");
        assert!(outside([1.0, -0.5, 2.0], [1.5, 0.5, 3.0]), "above the view");
        assert!(!outside([-1e9; 3], [1e9; 3]), "a light without an influence box");
    }

    fn camera(x: f32) -> FrameCamera {
        FrameCamera {
            world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
            position: [x, 0.0, 0.0],
            fx: 80.0,
            fy: 80.0,
            cx: 80.0,
            cy: 60.0,
            ev100: 4.0,
        }
    }

    fn flat(albedo: f32) -> Surface {
        Surface { albedo: [albedo; 3], roughness: 1.0, ..Surface::default() }
    }

    /// One unshadowed point light of `flux_lm` at `position`, no sun, no ambient, a black sky.
    fn point_light(position: [f32; 3], flux_lm: f32, casts_shadows: bool) -> Lighting {
        Lighting {
            lights: vec![Light {
                emitter: Emitter::Point,
                position,
                color: [1.0; 3],
                flux_lm,
                casts_shadows,
                influence: None,
            }],
            ..Lighting::default()
        }
    }

    #[derive(Debug)]
    struct E(#[allow(dead_code)] RenderError);
    impl From<RenderError> for E {
        fn from(e: RenderError) -> E {
            E(e)
        }
    }

    #[test]
    fn renders_ids_and_exact_depth_of_a_box() {
        let mut r = Renderer::new(160, 120).expect("an adapter (lavapipe in CI)");
        let mut mesh = SceneMesh::default();
        // A 1 m cube whose near face is the plane y = 2.5, straight ahead.
        mesh.add_box([0.0, 3.0, 0.0], IDENTITY, [1.0, 1.0, 1.0], &Surface { albedo: [0.8, 0.2, 0.2], ..flat(0.5) }, 9);
        r.load_scene(&mesh, &point_light([0.0, 0.0, 2.0], 800.0, true));
        let mut frames = Vec::new();
        let cams: Vec<_> = (0..7).map(|k| camera(k as f32 * 0.02)).collect();
        r.render_sequence(&cams, |f| -> Result<(), E> {
            let centre = 60 * 160 + 80;
            frames.push((
                f.index,
                f.instance[centre],
                f.depth_m[centre],
                f.instance.iter().filter(|&&i| i == 9).count(),
                f.yuv.v[30 * f.yuv.c_stride + 40],
            ));
            assert_eq!(f.instance[0], 0, "corner is background");
            assert_eq!(f.depth_m[0], 0.0);
            Ok(())
        })
        .unwrap();
        assert_eq!(
            frames.iter().map(|f| f.0).collect::<Vec<_>>(),
            (0..7).collect::<Vec<_>>(),
            "frames come back in order"
        );
        for (_, id, depth, count, cr) in &frames {
            assert_eq!(*id, 9);
            assert!((depth - 2.5).abs() < 1e-5, "depth {depth}");
            // The face spans u in [80 - 80*0.5/2.5, 80 + 16) = 32 px square, 1024 pixels (a sliver more or less
            // as the camera shifts sideways by a fraction of a pixel).
            assert!((*count as i32 - 1024).abs() <= 40, "count {count}");
            // A red face: Cr well above neutral.
            assert!(*cr > 150, "Cr {cr}");
        }
    }

    #[test]
    fn a_mover_is_drawn_where_its_transform_puts_it_and_the_rest_stays() {
        let mut r = Renderer::new(160, 120).expect("an adapter (lavapipe in CI)");
        let mut mesh = SceneMesh::default();
        // Two 1 m cubes side by side 3 m ahead; the right one (id 7) moves.
        mesh.add_box([-1.0, 3.0, 0.0], IDENTITY, [1.0, 1.0, 1.0], &flat(0.5), 6);
        mesh.add_box([1.0, 3.0, 0.0], IDENTITY, [1.0, 1.0, 1.0], &flat(0.5), 7);
        mesh.assign_mover(7, 1);
        r.load_scene(&mesh, &point_light([0.0, 0.0, 2.0], 800.0, true));
        // Frame 0 at rest; frame 1 pushed 0.5 m further away and turned 90 degrees about z (a cube looks the
        // same turned by 90 degrees, so only the depth tells).
        let moved =
            [[0.0, -1.0, 0.0, 1.0 + 3.0], [1.0, 0.0, 0.0, 0.5 + 3.0 - 1.0], [0.0, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]];
        // world_from_rest rotates about the cube's centre (1, 3, 0): p' = R (p - c) + c + (0, 0.5, 0).
        let moves = [moved];
        let frames = [Exposure::still(camera(0.0)), Exposure { movers: &moves, ..Exposure::still(camera(0.0)) }];
        let mut seen = Vec::new();
        r.render_exposures(&frames, |f| -> Result<(), E> {
            // The right cube's centre column is u = 80 + 80 * 1 / 2.5 = 112 at rest, 80 + 80 / 3 = 106.7 moved.
            let row = 60 * 160;
            seen.push((f.instance[row + 110], f.depth_m[row + 110], f.instance[row + 48], f.depth_m[row + 48]));
            Ok(())
        })
        .unwrap();
        assert_eq!((seen[0].0, seen[1].0), (7, 7));
        assert!((seen[0].1 - 2.5).abs() < 1e-5, "at rest: {}", seen[0].1);
        assert!((seen[1].1 - 3.0).abs() < 1e-5, "moved: {}", seen[1].1);
        // The static cube does not move.
        assert_eq!((seen[0].2, seen[1].2), (6, 6));
        assert_eq!(seen[0].3, seen[1].3);
    }

    /// Renders one frame of `mesh` from `cam` at `w` x `h`; returns (instance ids, depth, normals).
    fn one_frame(mesh: &SceneMesh, cam: FrameCamera, w: u32, h: u32) -> (Vec<u16>, Vec<f32>, Vec<u8>) {
        let mut r = Renderer::new(w, h).expect("an adapter (lavapipe in CI)");
        r.load_scene(mesh, &point_light([0.0, 0.0, 2.0], 800.0, true));
        let mut out = (Vec::new(), Vec::new(), Vec::new());
        r.render_sequence(&[cam], |f| -> Result<(), E> {
            out = (f.instance.to_vec(), f.depth_m.to_vec(), f.normal_rgba8.to_vec());
            Ok(())
        })
        .unwrap();
        out
    }

    /// Decodes an RGBA8 normal.
    fn normal_at(rgba: &[u8], px: usize) -> [f32; 3] {
        [0, 1, 2].map(|c| rgba[px * 4 + c] as f32 / 255.0 * 2.0 - 1.0)
    }

    #[test]
    fn a_plane_reads_back_its_z_depth_in_every_pixel() {
        // A wall whose near face is the plane y = 4, filling the view: z-depth is 4 m everywhere (not the ray
        // length, which grows towards the corners).
        let mut mesh = SceneMesh::default();
        mesh.add_box([0.0, 4.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], &flat(0.5), 3);
        let (ids, depth, normals) = one_frame(&mesh, camera(0.0), 160, 120);
        assert!(ids.iter().all(|&i| i == 3));
        let worst = depth.iter().map(|d| (d - 4.0).abs()).fold(0.0f32, f32::max);
        assert!(worst < 1e-4, "depth off by up to {worst} m");
        // Its world normal, -y (towards the camera), in every pixel, to 8-bit precision.
        for px in 0..160 * 120 {
            let n = normal_at(&normals, px);
            assert!(n[0].abs() < 0.01 && (n[1] + 1.0).abs() < 0.01 && n[2].abs() < 0.01, "pixel {px}: {n:?}");
            assert_eq!(normals[px * 4 + 3], 255);
        }
    }

    #[test]
    fn the_opengl_fallback_renders_the_same_depth() {
        // CI installs Mesa's EGL driver, so OpenGL must be there when asked for.
        let mut r = Renderer::with_backend(64, 48, BackendChoice::Gl).expect("an OpenGL adapter (Mesa EGL)");
        assert_eq!(r.adapter().backend, "Gl");
        let mut mesh = SceneMesh::default();
        mesh.add_box([0.0, 2.55, 0.0], IDENTITY, [40.0, 0.1, 40.0], &flat(0.5), 4);
        r.load_scene(&mesh, &point_light([0.0, 0.0, 2.0], 800.0, true));
        let cam = FrameCamera { fx: 32.0, fy: 32.0, cx: 32.0, cy: 24.0, ..camera(0.0) };
        r.render_sequence(&[cam], |f| -> Result<(), E> {
            assert!(f.instance.iter().all(|&i| i == 4));
            assert!(f.depth_m.iter().all(|d| (d - 2.5).abs() < 1e-4), "depth {:?}", &f.depth_m[..4]);
            Ok(())
        })
        .unwrap();
    }

    #[test]
    fn a_turned_box_covers_its_analytic_projected_area_within_one_percent() {
        // A 1.2 x 0.8 x 0.9 m box turned 30 degrees about z, 2.2 m ahead and a little to the side and below.
        let (a, b) = (30f32.to_radians().cos(), 30f32.to_radians().sin());
        let axes = [[a, b, 0.0], [-b, a, 0.0], [0.0, 0.0, 1.0]];
        let (c, size) = ([0.4f32, 2.2, -0.3], [1.2f32, 0.8, 0.9]);
        let mut mesh = SceneMesh::default();
        mesh.add_box(c, axes, size, &flat(0.5), 5);
        let (w, h) = (320, 240);
        let cam = FrameCamera { fx: 160.0, fy: 160.0, cx: 160.0, cy: 120.0, ..camera(0.0) };
        let (ids, _, normals) = one_frame(&mesh, cam, w, h);
        // Background has no normal; the box's visible faces have its axes (or their negatives) for normals.
        let px = ids.iter().position(|&i| i == 0).unwrap();
        assert_eq!(normals[px * 4 + 3], 0);
        for px in (0..ids.len()).filter(|&p| ids[p] == 5) {
            let n = normal_at(&normals, px);
            let best = axes.iter().map(|a| (a[0] * n[0] + a[1] * n[1] + a[2] * n[2]).abs()).fold(0.0f32, f32::max);
            assert!(best > 0.99, "pixel {px}: normal {n:?} is no face normal of the box");
        }
        let count = ids.iter().filter(|&&i| i == 5).count() as f64;
        // The projection of a convex box is the convex hull of its projected corners (camera: x right, -z down,
        // y forward).
        let mut pts: Vec<(f64, f64)> = (0..8)
            .map(|k| {
                let s = [(k & 1) as f32 - 0.5, ((k >> 1) & 1) as f32 - 0.5, ((k >> 2) & 1) as f32 - 0.5];
                let p: Vec<f32> =
                    (0..3).map(|d| c[d] + (0..3).map(|i| axes[i][d] * s[i] * size[i]).sum::<f32>()).collect();
                let (x, y, z) = (p[0] as f64, -p[2] as f64, p[1] as f64);
                (160.0 * x / z + 160.0, 160.0 * y / z + 120.0)
            })
            .collect();
        pts.sort_by(|p, q| p.partial_cmp(q).unwrap());
        let cross = |o: (f64, f64), a: (f64, f64), b: (f64, f64)| (a.0 - o.0) * (b.1 - o.1) - (a.1 - o.1) * (b.0 - o.0);
        let mut hull: Vec<(f64, f64)> = Vec::new();
        for pass in 0..2 {
            let start = hull.len();
            let ordered: Vec<_> = if pass == 0 { pts.clone() } else { pts.iter().rev().copied().collect() };
            for p in ordered {
                while hull.len() >= start + 2 && cross(hull[hull.len() - 2], hull[hull.len() - 1], p) <= 0.0 {
                    hull.pop();
                }
                hull.push(p);
            }
            hull.pop();
        }
        let area: f64 = (0..hull.len())
            .map(|i| {
                let (p, q) = (hull[i], hull[(i + 1) % hull.len()]);
                p.0 * q.1 - q.0 * p.1
            })
            .sum::<f64>()
            .abs()
            / 2.0;
        assert!(area > 5000.0, "a large enough silhouette for a 1 % test: {area}");
        assert!((count - area).abs() / area < 0.01, "{count} pixels against the analytic {area:.1}");
    }

    /// Renders one frame with radiance read back; returns (luminance RGB per pixel, instance ids).
    fn radiance_frame(mesh: &SceneMesh, lighting: &Lighting, cam: FrameCamera, w: u32, h: u32) -> Vec<[f32; 3]> {
        let settings = RenderSettings { read_radiance: true, read_rgba8: true, ..Default::default() };
        let mut r = Renderer::with_settings(w, h, settings).expect("an adapter (lavapipe in CI)");
        r.load_scene(mesh, lighting);
        let mut out = Vec::new();
        r.render_sequence(&[cam], |f| -> Result<(), E> {
            out = f.radiance_rgba16f.chunks_exact(4).map(|p| [0, 1, 2].map(|c| half_to_f32(p[c]))).collect();
            assert_eq!(f.color_rgba8.len(), (w * h * 4) as usize);
            Ok(())
        })
        .unwrap();
        out
    }

    /// Closed form for a rough (roughness 1) dielectric seen and lit head-on: Lambert diffuse scaled by
    /// (1 - F0) plus the GGX lobe's peak D G F / 4 = (1/π) F0 / 4, times the illuminance `lux`.
    fn head_on_luminance(albedo: f32, lux: f32) -> f32 {
        let f0 = 0.04;
        lux * ((1.0 - f0) * albedo / std::f32::consts::PI + f0 / (4.0 * std::f32::consts::PI))
    }

    #[test]
    fn a_point_light_follows_the_inverse_square_law_in_photometric_units() {
        // A wall 3 m ahead; a 1000 lm isotropic light 1 m in front of the camera: 2 m from the wall.
        let mut mesh = SceneMesh::default();
        mesh.add_box([0.0, 3.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], &flat(0.5), 3);
        let lighting = point_light([0.0, 1.0, 0.0], 1000.0, true);
        let px = radiance_frame(&mesh, &lighting, camera(0.0), 160, 120);
        let lux = 1000.0 / (4.0 * std::f32::consts::PI) / 4.0;
        // The texture's flat layer stores 128/255 for 0.5: albedo x 1.0039.
        let expected = head_on_luminance(0.5 * 2.0 * 128.0 / 255.0, lux);
        let centre = px[60 * 160 + 80];
        for c in centre {
            assert!((c - expected).abs() / expected < 0.01, "{c} cd/m² against {expected}");
        }
    }

    #[test]
    fn shadows_block_the_light_and_the_sun_adds_its_illuminance() {
        // A 0.4 m box between the light and the wall's centre casts a shadow; beside it the wall is lit.
        let mut mesh = SceneMesh::default();
        mesh.add_box([0.0, 3.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], &flat(0.5), 3);
        mesh.add_box([0.0, 2.0, 0.0], IDENTITY, [0.4, 0.05, 0.4], &flat(0.5), 4);
        let lighting = point_light([0.0, 1.0, 0.0], 1000.0, true);
        let cam = camera(0.0);
        let px = radiance_frame(&mesh, &lighting, cam, 160, 120);
        // The occluder hides the wall's centre from the camera too: look just past its edge in the image, where
        // the wall is visible but still in the (larger) shadow: wall points within 0.4 m of the axis.
        let wall_px = |x_m: f32| (60 * 160 + (80.0 + 80.0 * x_m / 3.0).round() as usize) as usize;
        let shadowed = px[wall_px(0.3)];
        assert!(shadowed[1] < 1e-3, "in shadow: {shadowed:?}");
        let lit = px[wall_px(0.6)];
        assert!(lit[1] > 1.0, "lit: {lit:?}");
        // The sun from straight behind the camera on the bare wall: E_sun on top of the light's share.
        let mut bare = SceneMesh::default();
        bare.add_box([0.0, 3.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], &flat(0.5), 3);
        let sunny = Lighting {
            sun: Some(Sun { direction_to_sun: [0.0, -1.0, 0.0], illuminance_lux: 20_000.0, color: [1.0; 3] }),
            ..Lighting::default()
        };
        let px = radiance_frame(&bare, &sunny, FrameCamera { ev100: 12.0, ..cam }, 160, 120);
        let expected = head_on_luminance(0.5 * 2.0 * 128.0 / 255.0, 20_000.0);
        let got = px[60 * 160 + 80][1];
        assert!((got - expected).abs() / expected < 0.01, "{got} against {expected}");
    }

    #[test]
    fn sub_frames_follow_the_rolling_shutter_rows_and_ground_truth_its_own_camera() {
        // A textured wall; the camera slides sideways between two sub-frames. With a shutter whose top half of
        // rows sees only sub-frame 0 and bottom half only sub-frame 1, the image is the two renders spliced.
        let (w, h) = (96u32, 64u32);
        let mut mesh = SceneMesh::default();
        let tiles = Surface { albedo: [0.6; 3], texture: crate::mesh::Texture::Tiles, ..flat(0.5) };
        mesh.add_box([0.0, 3.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], &tiles, 3);
        mesh.add_box([0.2, 2.5, 0.0], IDENTITY, [0.3, 0.3, 0.3], &flat(0.8), 4);
        let lighting = point_light([0.0, 1.0, 0.5], 2000.0, true);
        let cam = |x: f32| FrameCamera { fx: 48.0, fy: 48.0, cx: 48.0, cy: 32.0, ..camera(x) };
        let settings = RenderSettings { read_rgba8: true, max_subframes: 2, ..Default::default() };
        let mut r = Renderer::with_settings(w, h, settings).expect("an adapter (lavapipe in CI)");
        r.load_scene(&mesh, &lighting);
        let mut plain = Vec::new();
        r.render_sequence(&[cam(0.0), cam(0.3)], |f| -> Result<(), E> {
            plain.push((f.color_rgba8.to_vec(), f.instance.to_vec()));
            Ok(())
        })
        .unwrap();
        let weights: Vec<f32> =
            (0..2).flat_map(|k| (0..h).map(move |row| f32::from((row < h / 2) == (k == 0)))).collect();
        let subframes = [cam(0.0), cam(0.3)];
        let exposure = Exposure { subframes: &subframes, row_weights: &weights, ..Exposure::still(cam(0.15)) };
        let mut spliced = None;
        r.render_exposures(&[exposure], |f| -> Result<(), E> {
            spliced = Some((f.color_rgba8.to_vec(), f.instance.to_vec()));
            Ok(())
        })
        .unwrap();
        let (color, ids) = spliced.unwrap();
        let half = (w * h / 2 * 4) as usize;
        assert_eq!(color[..half], plain[0].0[..half], "top rows from sub-frame 0");
        assert_eq!(color[half..], plain[1].0[half..], "bottom rows from sub-frame 1");
        assert_ne!(plain[0].0, plain[1].0, "the two sub-frames differ");
        // Ground truth from the mid-exposure camera: neither sub-frame's id map.
        assert_ne!(ids, plain[0].1);
        assert_ne!(ids, plain[1].1);
        // Too many sub-frames is an error naming the limit.
        let three = [cam(0.0); 3];
        let weights3 = vec![1.0 / 3.0; 3 * h as usize];
        let e = r
            .render_exposures(
                &[Exposure { subframes: &three, row_weights: &weights3, ..Exposure::still(cam(0.0)) }],
                |_| Ok::<(), E>(()),
            )
            .unwrap_err();
        assert!(format!("{:?}", e.0).contains("at most 2"), "{e:?}");
    }

    #[test]
    fn a_normal_map_tilts_the_shading_normal_up_the_image() {
        // A wall facing the camera (y = 3), textured upright: u along +x, v down the wall (-z). A light 50 degrees
        // above the wall's normal. A normal map tilting normals 30 degrees "up the image" (towards +z) turns the
        // surface towards the light: diffuse grows by cos(20 deg) / cos(50 deg); the opposite sign would give
        // cos(80 deg) / cos(50 deg).
        let tilt = 30f32.to_radians();
        let texel = |n: [f32; 3]| n.map(|c| ((c * 0.5 + 0.5) * 255.0).round() as u8);
        let image = |n: [f32; 3]| {
            let [r, g, b] = texel(n);
            crate::mesh::TextureImage { width: 4, height: 4, rgba8: [r, g, b, 255].repeat(16) }
        };
        let quad = |normal_image: Option<u32>| {
            let mut mesh = SceneMesh {
                images: vec![image([0.0, tilt.sin(), tilt.cos()]), image([0.0, 0.0, 1.0])],
                ..Default::default()
            };
            let (x, z) = (3.0f32, 3.0f32);
            let positions = [[-x, 3.0, z], [x, 3.0, z], [x, 3.0, -z], [-x, 3.0, -z]];
            let uvs = [[0.0, 0.0], [1.0, 0.0], [1.0, 1.0], [0.0, 1.0]];
            let surface = Surface { normal_image, ..flat(0.5) };
            // Counter-clockwise seen from the camera at the origin (normal -y).
            mesh.add_triangles(&positions, &[[0.0, -1.0, 0.0]; 4], &uvs, &[0, 2, 1, 0, 3, 2], &surface, 3);
            mesh
        };
        let phi = 50f32.to_radians();
        // The lit point is the wall's centre, 3 m ahead; the light 2 m from it, 50 degrees above the normal.
        let light = [0.0, 3.0 - 2.0 * phi.cos(), 2.0 * phi.sin()];
        let lighting = point_light(light, 2000.0, false);
        let centre = 60 * 160 + 80;
        let tilted = radiance_frame(&quad(Some(0)), &lighting, camera(0.0), 160, 120)[centre][1];
        let straight = radiance_frame(&quad(Some(1)), &lighting, camera(0.0), 160, 120)[centre][1];
        let ratio = tilted / straight;
        let expected = (phi - tilt).cos() / phi.cos();
        // Specular (F0 = 0.04 at roughness 1) shifts the ratio by a few per cent.
        assert!((ratio - expected).abs() / expected < 0.05, "ratio {ratio} against {expected}");
    }
}
