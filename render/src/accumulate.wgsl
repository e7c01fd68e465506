// Sub-frames: adds one sub-frame's HDR image into the exposure's accumulator, each row weighted by how much of
// that sub-frame its (rolling-shutter) exposure window sees.

struct Accumulate {
    // x: sub-frame index, y: width, z: height.
    k: vec4<u32>,
};

@group(0) @binding(0) var hdr: texture_2d<f32>;
@group(0) @binding(1) var<uniform> params: Accumulate;
@group(0) @binding(2) var<storage, read> weights: array<f32>;
@group(0) @binding(3) var<storage, read_write> accum: array<vec4<f32>>;

@compute @workgroup_size(8, 8)
fn accumulate(@builtin(global_invocation_id) id: vec3<u32>) {
    let w = params.k.y;
    let h = params.k.z;
    if (id.x >= w || id.y >= h) {
        return;
    }
    let c = textureLoad(hdr, vec2<i32>(id.xy), 0);
    let weight = weights[params.k.x * h + id.y];
    let i = id.y * w + id.x;
    if (params.k.x == 0u) {
        accum[i] = c * weight;
    } else {
        accum[i] = accum[i] + c * weight;
    }
}
