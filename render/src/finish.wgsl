// The end of the colour pipeline, once per frame: exposure (the camera's), tone mapping, sRGB encoding, and the
// encoder's Y'CbCr 4:2:0 (BT.709, limited range), so the CPU never converts pixels.
//
// One invocation covers 8 x 2 pixels: two words of luma in each of two rows, one word each of Cb and Cr.

struct Finish {
    // x: exposure (relative sensor exposure per nit; 1 = saturation), y: gain to display (middle grey).
    exposure: vec4<f32>,
    // x: width, y: height, z: luma row stride in bytes, w: chroma row stride in bytes.
    size: vec4<u32>,
    // x: 1 to also write RGBA8; y: 1 to read the sub-frame accumulator instead of the HDR image.
    flags: vec4<u32>,
};

@group(0) @binding(0) var hdr: texture_2d<f32>;
@group(0) @binding(1) var<uniform> params: Finish;
@group(0) @binding(2) var<storage, read_write> yuv: array<u32>;
@group(0) @binding(3) var<storage, read_write> rgba: array<u32>;
@group(0) @binding(4) var<storage, read> accum: array<vec4<f32>>;

// Khronos PBR Neutral tone mapping: linear up to 0.8, then a smooth shoulder; keeps hues.
fn neutral(c_in: vec3<f32>) -> vec3<f32> {
    let start = 0.8 - 0.04;
    let desaturation = 0.15;
    let x = min(c_in.r, min(c_in.g, c_in.b));
    let offset = select(0.04, x - 6.25 * x * x, x < 0.08);
    var c = c_in - vec3<f32>(offset);
    let peak = max(c.r, max(c.g, c.b));
    if (peak < start) {
        return c;
    }
    let d = 1.0 - start;
    let new_peak = 1.0 - d * d / (peak + d - start);
    c = c * (new_peak / peak);
    let g = 1.0 - 1.0 / (desaturation * (peak - new_peak) + 1.0);
    return mix(c, vec3<f32>(new_peak), g);
}

fn srgb_encode(c: vec3<f32>) -> vec3<f32> {
    let lo = c * 12.92;
    let hi = 1.055 * pow(max(c, vec3<f32>(0.0031308)), vec3<f32>(1.0 / 2.4)) - 0.055;
    return select(hi, lo, c <= vec3<f32>(0.0031308));
}

// Display-referred, sRGB-encoded colour of a pixel (coordinates clamped into the image).
fn display(x: u32, y: u32) -> vec3<f32> {
    let p = vec2<i32>(i32(min(x, params.size.x - 1u)), i32(min(y, params.size.y - 1u)));
    var radiance: vec3<f32>;
    if (params.flags.y == 1u) {
        radiance = accum[u32(p.y) * params.size.x + u32(p.x)].rgb;
    } else {
        radiance = textureLoad(hdr, p, 0).rgb;
    }
    radiance = max(radiance, vec3<f32>(0.0));
    let exposed = radiance * params.exposure.x * params.exposure.y;
    return clamp(srgb_encode(clamp(neutral(exposed), vec3<f32>(0.0), vec3<f32>(1.0))), vec3<f32>(0.0), vec3<f32>(1.0));
}

fn luma(c: vec3<f32>) -> u32 {
    return u32(round(16.0 + 219.0 * dot(c, vec3<f32>(0.2126, 0.7152, 0.0722))));
}

@compute @workgroup_size(8, 8)
fn finish(@builtin(global_invocation_id) id: vec3<u32>) {
    let x0 = id.x * 8u;
    let y0 = id.y * 2u;
    let w = params.size.x;
    let h = params.size.y;
    if (x0 >= w || y0 >= h) {
        return;
    }
    var px: array<vec3<f32>, 16>;
    for (var dy = 0u; dy < 2u; dy = dy + 1u) {
        for (var dx = 0u; dx < 8u; dx = dx + 1u) {
            let c = display(x0 + dx, y0 + dy);
            px[dy * 8u + dx] = c;
            if (params.flags.x == 1u && x0 + dx < w && y0 + dy < h) {
                let b = vec4<u32>(vec4<f32>(round(c * 255.0), 255.0));
                rgba[(y0 + dy) * w + x0 + dx] = b.x | (b.y << 8u) | (b.z << 16u) | (b.w << 24u);
            }
        }
    }
    let y_stride = params.size.z;
    for (var dy = 0u; dy < 2u; dy = dy + 1u) {
        if (y0 + dy < h) {
            for (var half = 0u; half < 2u; half = half + 1u) {
                var word = 0u;
                for (var b = 0u; b < 4u; b = b + 1u) {
                    word = word | (luma(px[dy * 8u + half * 4u + b]) << (8u * b));
                }
                yuv[((y0 + dy) * y_stride + x0 + half * 4u) / 4u] = word;
            }
        }
    }
    // Chroma of each 2 x 2 block from the average of its encoded colours.
    var cb = 0u;
    var cr = 0u;
    for (var b = 0u; b < 4u; b = b + 1u) {
        let c = (px[2u * b] + px[2u * b + 1u] + px[8u + 2u * b] + px[9u + 2u * b]) * 0.25;
        let u = 128.0 + 224.0 * dot(c, vec3<f32>(-0.1146, -0.3854, 0.5));
        let v = 128.0 + 224.0 * dot(c, vec3<f32>(0.5, -0.4542, -0.0458));
        cb = cb | (u32(round(u)) << (8u * b));
        cr = cr | (u32(round(v)) << (8u * b));
    }
    let c_stride = params.size.w;
    let luma_bytes = y_stride * h;
    let chroma_rows = (h + 1u) / 2u;
    let c_at = id.y * c_stride + x0 / 2u;
    yuv[(luma_bytes + c_at) / 4u] = cb;
    yuv[(luma_bytes + c_stride * chroma_rows + c_at) / 4u] = cr;
}
