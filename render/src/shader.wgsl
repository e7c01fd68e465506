// One pass, four targets: shaded colour (sRGB-encoded), instance id, metric z-depth, world-space normal.

struct Light {
    position: vec4<f32>,
    intensity: vec4<f32>,
};

struct Frame {
    clip_from_world: mat4x4<f32>,
    // Row 2 of camera_from_world: z_cam = dot(xyz, p) + w.
    camera_z_row: vec4<f32>,
    // x: exposure scale, y: number of lights, z: ambient level.
    params: vec4<f32>,
    lights: array<Light, 16>,
};

@group(0) @binding(0) var<uniform> frame: Frame;

struct VsIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) albedo: vec3<f32>,
    @location(3) instance: u32,
};

struct VsOut {
    @builtin(position) clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) albedo: vec3<f32>,
    @location(3) @interpolate(flat) instance: u32,
    @location(4) z_cam: f32,
};

@vertex
fn vs_main(v: VsIn) -> VsOut {
    var out: VsOut;
    out.clip = frame.clip_from_world * vec4<f32>(v.position, 1.0);
    out.world = v.position;
    out.normal = v.normal;
    out.albedo = v.albedo;
    out.instance = v.instance;
    // Perspective-correct interpolation of an affine function is exact: this is the true z at the pixel.
    out.z_cam = dot(frame.camera_z_row.xyz, v.position) + frame.camera_z_row.w;
    return out;
}

struct FsOut {
    @location(0) color: vec4<f32>,
    @location(1) instance: u32,
    // The z-depth's f32 bits: R32Uint is renderable on every backend (R32Float is not on OpenGL ES).
    @location(2) depth_bits: u32,
    // World-space normal of the surface facing the camera, as n * 0.5 + 0.5.
    @location(3) normal: vec4<f32>,
};

fn srgb_encode(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(c, vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

@fragment
fn fs_main(in: VsOut, @builtin(front_facing) front: bool) -> FsOut {
    var n = normalize(in.normal);
    if (!front) {
        n = -n;
    }
    // Hemisphere ambient: brighter from above.
    var radiance = in.albedo * frame.params.z * (0.6 + 0.4 * n.z);
    let count = u32(frame.params.y);
    for (var i = 0u; i < count; i = i + 1u) {
        let to_light = frame.lights[i].position.xyz - in.world;
        let d2 = max(dot(to_light, to_light), 0.01);
        let ndl = max(dot(n, to_light * inverseSqrt(d2)), 0.0);
        radiance = radiance + in.albedo * frame.lights[i].intensity.xyz * ndl / d2;
    }
    let exposed = radiance * frame.params.x;
    // Reinhard tone map, then sRGB encoding, once, at the end.
    let mapped = exposed / (vec3<f32>(1.0) + exposed);
    var out: FsOut;
    out.color = vec4<f32>(srgb_encode(mapped), 1.0);
    out.instance = in.instance;
    out.depth_bits = bitcast<u32>(in.z_cam);
    out.normal = vec4<f32>(n * 0.5 + vec3<f32>(0.5), 1.0);
    return out;
}
