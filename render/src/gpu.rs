//! Device setup, the render pass and the staging-buffer ring.

use std::sync::mpsc;

use bytemuck::{Pod, Zeroable};
use wgpu::util::DeviceExt;

use crate::FrameCamera;
use crate::mesh::{Light, SceneMesh, Vertex};

/// Frames in flight: a frame's readback is only waited on when its slot comes round again.
const RING_SLOTS: usize = 3;
/// Lights a scene may have (two per room of a six-room apartment fit); the shader's array has this length.
pub const MAX_LIGHTS: usize = 16;
/// Background colour (sRGB target, so the clear value is linear): a pale hazy sky.
const SKY: wgpu::Color = wgpu::Color { r: 0.55, g: 0.68, b: 0.85, a: 1.0 };
const COLOR_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;
const INSTANCE_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R16Uint;
/// Holds the f32 bits of the z-depth (read back as f32): R32Float is not renderable on OpenGL ES.
const DEPTH_OUT_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::R32Uint;
const ZBUFFER_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Depth32Float;
/// World-space normals encoded as `n * 0.5 + 0.5` (alpha 1 where a surface was drawn, 0 for background).
const NORMAL_FORMAT: wgpu::TextureFormat = wgpu::TextureFormat::Rgba8Unorm;

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
    /// Recording and submitting command buffers.
    pub submit: std::time::Duration,
    /// Waiting for the device to finish a frame (the rendering itself, on lavapipe).
    pub wait: std::time::Duration,
    /// Copying mapped staging buffers into packed CPU images.
    pub unpack: std::time::Duration,
}

/// One frame's images, rows packed tightly, row 0 at the top.
pub struct FrameImages<'a> {
    pub index: u32,
    /// RGBA8, sRGB-encoded.
    pub color_rgba8: &'a [u8],
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
    intensity: [f32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Pod, Zeroable)]
struct FrameUniform {
    clip_from_world: [f32; 16],
    camera_z_row: [f32; 4],
    params: [f32; 4],
    lights: [GpuLight; MAX_LIGHTS],
}

/// A submitted frame awaiting readback: its index, its submission, and the map callbacks' results.
type PendingFrame = (u32, wgpu::SubmissionIndex, mpsc::Receiver<Result<(), wgpu::BufferAsyncError>>);

/// Staging buffers of one ring slot, and the CPU copies the frame is unpacked into (allocated once).
struct Slot {
    color: wgpu::Buffer,
    instance: wgpu::Buffer,
    depth: wgpu::Buffer,
    normal: wgpu::Buffer,
    pending: Option<PendingFrame>,
    color_cpu: Vec<u8>,
    instance_cpu: Vec<u16>,
    depth_cpu: Vec<f32>,
    normal_cpu: Vec<u8>,
}

/// A renderer for one image size; load a scene, then render camera sequences through it.
pub struct Renderer {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter: AdapterSummary,
    width: u32,
    height: u32,
    pipeline: wgpu::RenderPipeline,
    uniform: wgpu::Buffer,
    bind_group: wgpu::BindGroup,
    color_view: wgpu::TextureView,
    instance_view: wgpu::TextureView,
    depth_out_view: wgpu::TextureView,
    normal_view: wgpu::TextureView,
    zbuffer_view: wgpu::TextureView,
    color_tex: wgpu::Texture,
    instance_tex: wgpu::Texture,
    depth_out_tex: wgpu::Texture,
    normal_tex: wgpu::Texture,
    slots: Vec<Slot>,
    scene: Option<(wgpu::Buffer, wgpu::Buffer, u32)>,
    lights: Vec<Light>,
    exposure: f32,
    ambient: f32,
    timings: RenderTimings,
}

fn padded_row(width: u32, bytes_per_px: u32) -> u32 {
    let unpadded = width * bytes_per_px;
    unpadded.div_ceil(wgpu::COPY_BYTES_PER_ROW_ALIGNMENT) * wgpu::COPY_BYTES_PER_ROW_ALIGNMENT
}

impl Renderer {
    /// Opens the best adapter (a GPU when present, else lavapipe) for `width` x `height` images.
    pub fn new(width: u32, height: u32) -> Result<Renderer, RenderError> {
        Renderer::with_backend(width, height, BackendChoice::Auto)
    }

    /// Like [`Renderer::new`], through the given graphics API only (unless `Auto`).
    pub fn with_backend(width: u32, height: u32, backend: BackendChoice) -> Result<Renderer, RenderError> {
        let adapter = open_adapter(backend)?;
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
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("diorama"),
            required_limits: wgpu::Limits { max_texture_dimension_2d: max, ..wgpu::Limits::downlevel_defaults() },
            ..Default::default()
        }))
        .map_err(|e| RenderError::Device { adapter: info.name.clone(), message: e.to_string() })?;
        tracing::info!(adapter = %summary.name, backend = %summary.backend, "renderer ready");
        Ok(Self::build(device, queue, summary, width, height))
    }

    fn build(device: wgpu::Device, queue: wgpu::Queue, adapter: AdapterSummary, width: u32, height: u32) -> Renderer {
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("diorama shader"),
            source: wgpu::ShaderSource::Wgsl(include_str!("shader.wgsl").into()),
        });
        let bgl = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("frame"),
            entries: &[wgpu::BindGroupLayoutEntry {
                binding: 0,
                visibility: wgpu::ShaderStages::VERTEX_FRAGMENT,
                ty: wgpu::BindingType::Buffer {
                    ty: wgpu::BufferBindingType::Uniform,
                    has_dynamic_offset: false,
                    min_binding_size: None,
                },
                count: None,
            }],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("diorama"),
            bind_group_layouts: &[Some(&bgl)],
            immediate_size: 0,
        });
        let attributes = wgpu::vertex_attr_array![0 => Float32x3, 1 => Float32x3, 2 => Float32x3, 3 => Uint32];
        let target = |format| Some(wgpu::ColorTargetState { format, blend: None, write_mask: wgpu::ColorWrites::ALL });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("diorama"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[Some(wgpu::VertexBufferLayout {
                    array_stride: std::mem::size_of::<Vertex>() as u64,
                    step_mode: wgpu::VertexStepMode::Vertex,
                    attributes: &attributes,
                })],
            },
            primitive: wgpu::PrimitiveState { cull_mode: Some(wgpu::Face::Back), ..Default::default() },
            depth_stencil: Some(wgpu::DepthStencilState {
                format: ZBUFFER_FORMAT,
                depth_write_enabled: Some(true),
                depth_compare: Some(wgpu::CompareFunction::Less),
                stencil: Default::default(),
                bias: Default::default(),
            }),
            multisample: Default::default(),
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[
                    target(COLOR_FORMAT),
                    target(INSTANCE_FORMAT),
                    target(DEPTH_OUT_FORMAT),
                    target(NORMAL_FORMAT),
                ],
            }),
            multiview_mask: None,
            cache: None,
        });
        let uniform = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame uniform"),
            size: std::mem::size_of::<FrameUniform>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("frame"),
            layout: &bgl,
            entries: &[wgpu::BindGroupEntry { binding: 0, resource: uniform.as_entire_binding() }],
        });
        let texture = |label, format, extra: wgpu::TextureUsages| {
            device.create_texture(&wgpu::TextureDescriptor {
                label: Some(label),
                size: wgpu::Extent3d { width, height, depth_or_array_layers: 1 },
                mip_level_count: 1,
                sample_count: 1,
                dimension: wgpu::TextureDimension::D2,
                format,
                usage: wgpu::TextureUsages::RENDER_ATTACHMENT | extra,
                view_formats: &[],
            })
        };
        let color_tex = texture("colour", COLOR_FORMAT, wgpu::TextureUsages::COPY_SRC);
        let instance_tex = texture("instance", INSTANCE_FORMAT, wgpu::TextureUsages::COPY_SRC);
        let depth_out_tex = texture("depth", DEPTH_OUT_FORMAT, wgpu::TextureUsages::COPY_SRC);
        let normal_tex = texture("normal", NORMAL_FORMAT, wgpu::TextureUsages::COPY_SRC);
        let zbuffer = texture("z-buffer", ZBUFFER_FORMAT, wgpu::TextureUsages::empty());
        let view = |t: &wgpu::Texture| t.create_view(&Default::default());
        let staging = |label, bpp| {
            device.create_buffer(&wgpu::BufferDescriptor {
                label: Some(label),
                size: (padded_row(width, bpp) * height) as u64,
                usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
                mapped_at_creation: false,
            })
        };
        let px = (width * height) as usize;
        let slots = (0..RING_SLOTS)
            .map(|_| Slot {
                color: staging("colour readback", 4),
                instance: staging("instance readback", 2),
                depth: staging("depth readback", 4),
                normal: staging("normal readback", 4),
                pending: None,
                color_cpu: vec![0; px * 4],
                instance_cpu: vec![0; px],
                depth_cpu: vec![0.0; px],
                normal_cpu: vec![0; px * 4],
            })
            .collect();
        Renderer {
            color_view: view(&color_tex),
            instance_view: view(&instance_tex),
            depth_out_view: view(&depth_out_tex),
            normal_view: view(&normal_tex),
            zbuffer_view: view(&zbuffer),
            color_tex,
            instance_tex,
            depth_out_tex,
            normal_tex,
            device,
            queue,
            adapter,
            width,
            height,
            pipeline,
            uniform,
            bind_group,
            slots,
            scene: None,
            lights: Vec::new(),
            exposure: 1.0,
            ambient: 0.0,
            timings: RenderTimings::default(),
        }
    }

    pub fn adapter(&self) -> &AdapterSummary {
        &self.adapter
    }

    pub fn timings(&self) -> RenderTimings {
        self.timings
    }

    /// Uploads a scene's static mesh and lights; `ambient` is the hemisphere light level and `exposure` scales
    /// radiance before tone mapping.
    pub fn load_scene(&mut self, mesh: &SceneMesh, lights: &[Light], ambient: f32, exposure: f32) {
        let vb = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("scene vertices"),
            contents: bytemuck::cast_slice(&mesh.vertices),
            usage: wgpu::BufferUsages::VERTEX,
        });
        let ib = self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("scene indices"),
            contents: bytemuck::cast_slice(&mesh.indices),
            usage: wgpu::BufferUsages::INDEX,
        });
        self.scene = Some((vb, ib, mesh.indices.len() as u32));
        if lights.len() > MAX_LIGHTS {
            tracing::warn!(lights = lights.len(), "the renderer takes {MAX_LIGHTS} lights; the rest are left out");
        }
        self.lights = lights.iter().take(MAX_LIGHTS).copied().collect();
        self.ambient = ambient;
        self.exposure = exposure;
    }

    fn frame_uniform(&self, cam: &FrameCamera) -> FrameUniform {
        let m = cam.clip_from_world(self.width, self.height);
        let mut clip = [0.0; 16];
        for c in 0..4 {
            for r in 0..4 {
                clip[c * 4 + r] = m[r][c]; // WGSL matrices are column-major
            }
        }
        let z_row = cam.camera_from_world()[2];
        let mut lights = [GpuLight::zeroed(); MAX_LIGHTS];
        for (g, l) in lights.iter_mut().zip(&self.lights) {
            *g = GpuLight {
                position: [l.position[0], l.position[1], l.position[2], 1.0],
                intensity: [l.intensity[0], l.intensity[1], l.intensity[2], 0.0],
            };
        }
        FrameUniform {
            clip_from_world: clip,
            camera_z_row: z_row,
            params: [self.exposure, self.lights.len() as f32, self.ambient, 0.0],
            lights,
        }
    }

    /// Renders one frame per camera and hands each frame's images to `sink`, in order. Up to `RING_SLOTS`
    /// frames are in flight: frame k's readback is waited on only when frame k + RING_SLOTS needs its slot.
    pub fn render_sequence<E: From<RenderError>>(
        &mut self,
        cameras: &[FrameCamera],
        mut sink: impl FnMut(FrameImages<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        for (k, cam) in cameras.iter().enumerate() {
            let slot = k % RING_SLOTS;
            self.finish_slot(slot, &mut sink)?;
            self.submit_frame(k as u32, slot, cam);
        }
        for k in cameras.len()..cameras.len() + RING_SLOTS {
            self.finish_slot(k % RING_SLOTS, &mut sink)?;
        }
        Ok(())
    }

    fn submit_frame(&mut self, index: u32, slot: usize, cam: &FrameCamera) {
        let started = std::time::Instant::now();
        let uniform = self.frame_uniform(cam);
        // Queue writes land before the next submit, so each frame sees its own camera.
        self.queue.write_buffer(&self.uniform, 0, bytemuck::bytes_of(&uniform));
        let mut enc = self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some("frame") });
        {
            let attach = |view, clear| {
                Some(wgpu::RenderPassColorAttachment {
                    view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations { load: wgpu::LoadOp::Clear(clear), store: wgpu::StoreOp::Store },
                })
            };
            let mut pass = enc.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("frame"),
                color_attachments: &[
                    // Where nothing is drawn (through a window, above a balcony) the colour is a hazy sky;
                    // instance 0 and depth 0 mark it as background.
                    attach(&self.color_view, SKY),
                    attach(&self.instance_view, wgpu::Color::TRANSPARENT),
                    attach(&self.depth_out_view, wgpu::Color::TRANSPARENT),
                    attach(&self.normal_view, wgpu::Color::TRANSPARENT),
                ],
                depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                    view: &self.zbuffer_view,
                    depth_ops: Some(wgpu::Operations { load: wgpu::LoadOp::Clear(1.0), store: wgpu::StoreOp::Discard }),
                    stencil_ops: None,
                }),
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            if let Some((vb, ib, count)) = &self.scene {
                pass.set_pipeline(&self.pipeline);
                pass.set_bind_group(0, &self.bind_group, &[]);
                pass.set_vertex_buffer(0, vb.slice(..));
                pass.set_index_buffer(ib.slice(..), wgpu::IndexFormat::Uint32);
                pass.draw_indexed(0..*count, 0, 0..1);
            }
        }
        let s = &self.slots[slot];
        for (tex, buf, bpp) in [
            (&self.color_tex, &s.color, 4),
            (&self.instance_tex, &s.instance, 2),
            (&self.depth_out_tex, &s.depth, 4),
            (&self.normal_tex, &s.normal, 4),
        ] {
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
        let submission = self.queue.submit([enc.finish()]);
        let (tx, rx) = mpsc::channel();
        for buf in [&s.color, &s.instance, &s.depth, &s.normal] {
            let tx = tx.clone();
            buf.map_async(wgpu::MapMode::Read, .., move |r| {
                let _ = tx.send(r);
            });
        }
        self.slots[slot].pending = Some((index, submission, rx));
        self.timings.submit += started.elapsed();
    }

    /// Waits for the slot's frame (if any), unpacks it and passes it on.
    fn finish_slot<E: From<RenderError>>(
        &mut self,
        slot: usize,
        sink: &mut impl FnMut(FrameImages<'_>) -> Result<(), E>,
    ) -> Result<(), E> {
        let Some((index, submission, rx)) = self.slots[slot].pending.take() else { return Ok(()) };
        let started = std::time::Instant::now();
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
            .map_err(|e| RenderError::Readback(e.to_string()))?;
        for _ in 0..4 {
            rx.recv()
                .map_err(|e| RenderError::Readback(e.to_string()))?
                .map_err(|e| RenderError::Readback(e.to_string()))?;
        }
        let unpacking = std::time::Instant::now();
        self.timings.wait += unpacking - started;
        let (w, h) = (self.width as usize, self.height as usize);
        let s = &mut self.slots[slot];
        unpack(&s.color, padded_row(self.width, 4) as usize, w * 4, h, bytemuck::cast_slice_mut(&mut s.color_cpu))?;
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
        sink(FrameImages {
            index,
            color_rgba8: &s.color_cpu,
            depth_m: &s.depth_cpu,
            instance: &s.instance_cpu,
            normal_rgba8: &s.normal_cpu,
        })
    }
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

    const IDENTITY: [[f32; 3]; 3] = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];

    /// Camera at the origin looking along +y: right = +x, down = -z.
    fn camera(x: f32) -> FrameCamera {
        FrameCamera {
            world_from_camera: [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]],
            position: [x, 0.0, 0.0],
            fx: 80.0,
            fy: 80.0,
            cx: 80.0,
            cy: 60.0,
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
        mesh.add_box([0.0, 3.0, 0.0], IDENTITY, [1.0, 1.0, 1.0], [0.8, 0.2, 0.2], 9);
        r.load_scene(&mesh, &[Light { position: [0.0, 0.0, 2.0], intensity: [5.0; 3] }], 0.2, 1.0);
        let mut frames = Vec::new();
        let cams: Vec<_> = (0..7).map(|k| camera(k as f32 * 0.02)).collect();
        r.render_sequence(&cams, |f| -> Result<(), E> {
            let centre = 60 * 160 + 80;
            frames.push((
                f.index,
                f.instance[centre],
                f.depth_m[centre],
                f.instance.iter().filter(|&&i| i == 9).count(),
                f.color_rgba8[centre * 4],
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
        for (_, id, depth, count, red) in &frames {
            assert_eq!(*id, 9);
            assert!((depth - 2.5).abs() < 1e-5, "depth {depth}");
            // The face spans u in [80 - 80*0.5/2.5, 80 + 16) = 32 px square, 1024 pixels (a sliver more or less
            // as the camera shifts sideways by a fraction of a pixel).
            assert!((*count as i32 - 1024).abs() <= 40, "count {count}");
            assert!(*red > 0);
        }
    }

    /// Renders one frame of `mesh` from `cam` at `w` x `h`; returns (instance ids, depth, normals).
    fn one_frame(mesh: &SceneMesh, cam: FrameCamera, w: u32, h: u32) -> (Vec<u16>, Vec<f32>, Vec<u8>) {
        let mut r = Renderer::new(w, h).expect("an adapter (lavapipe in CI)");
        r.load_scene(mesh, &[Light { position: [0.0, 0.0, 2.0], intensity: [5.0; 3] }], 0.2, 1.0);
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
        mesh.add_box([0.0, 4.05, 0.0], IDENTITY, [40.0, 0.1, 40.0], [0.5; 3], 3);
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
        mesh.add_box([0.0, 2.55, 0.0], IDENTITY, [40.0, 0.1, 40.0], [0.5; 3], 4);
        r.load_scene(&mesh, &[], 0.2, 1.0);
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
        mesh.add_box(c, axes, size, [0.5; 3], 5);
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
}
