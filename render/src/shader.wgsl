// The scene passes. Colour: linear HDR luminance (cd/m² per linear RGB channel) from Lambert diffuse + GGX
// specular under lights in photometric units, with shadow maps and an ambient term for indirect light. Ground
// truth: instance id, metric z-depth, world-space normal; never blended or anti-aliased.

const PI: f32 = 3.14159265;
const MAX_LIGHTS: u32 = 16u;
const MAX_ZONES: u32 = 8u;

struct Light {
    // xyz: position (m); w: emitter kind (0 point, 1 panel, 2 spot).
    position: vec4<f32>,
    // rgb: chromaticity x peak intensity (cd); w: first shadow-map layer, or -1 for none.
    color_cd: vec4<f32>,
    // xyz: axis of a panel or spot; w: cosine of a spot's outer half-angle.
    direction: vec4<f32>,
    // x: cosine of a spot's inner half-angle (where the fade starts); y: fade width at the influence box's edge.
    params: vec4<f32>,
    // The box outside which the light adds nothing (xyz).
    influence_min: vec4<f32>,
    influence_max: vec4<f32>,
};

struct Zone {
    // w: illuminance on an upward-facing surface (lux).
    min: vec4<f32>,
    // w: the share of it a downward-facing surface receives.
    max: vec4<f32>,
    color: vec4<f32>,
};

struct Frame {
    clip_from_world: mat4x4<f32>,
    sun_clip_from_world: mat4x4<f32>,
    camera_position: vec4<f32>,
    // Row 2 of camera_from_world: z_cam = dot(xyz, p) + w.
    camera_z_row: vec4<f32>,
    // x: lights, y: zones, z: 1 when the sun shines, w: cube shadow map texels per side.
    counts: vec4<u32>,
    // xyz: unit vector towards the sun; w: world size of a sun shadow-map texel (m).
    sun_direction: vec4<f32>,
    // rgb: chromaticity x illuminance (lux).
    sun_color_lux: vec4<f32>,
    // x, y: near and far planes of the cube shadow maps (m).
    shadow_planes: vec4<f32>,
    lights: array<Light, 16>,
    zones: array<Zone, 8>,
    // world_from_rest of each mover slot (slot 0: the static scene, identity).
    movers: array<mat4x4<f32>, 16>,
    // A homogeneous medium along every camera ray (fog, haze): x: extinction beta (1/m, 0 for none);
    // yzw: its airlight (cd/m², the radiance of an infinitely deep medium).
    fog: vec4<f32>,
};

@group(0) @binding(0) var<uniform> frame: Frame;
@group(0) @binding(1) var textures: texture_2d_array<f32>;
@group(0) @binding(2) var texture_sampler: sampler;
@group(0) @binding(3) var cube_shadows: texture_depth_2d_array;
@group(0) @binding(4) var shadow_sampler: sampler_comparison;
@group(0) @binding(5) var sun_shadow: texture_depth_2d;

// Metres of surface per texture repeat, by layer (mesh.rs: Texture::repeat_m).
const REPEAT_M = array<f32, 11>(1.0, 2.0, 1.0, 1.2, 0.15, 1.0, 1.2, 0.5, 0.5, 0.3, 0.4);
// Relief of the height channel (m): full scale of the texture's B.
const BUMP_M: f32 = 0.002;

struct VsIn {
    @location(0) position: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv_m: vec2<f32>,
    @location(3) albedo: vec3<f32>,
    @location(4) instance: u32,
    @location(5) material: u32,
};

struct VsOut {
    // Invariant: the colour pass's depth test must see exactly the depth the earlier passes wrote.
    @builtin(position) @invariant clip: vec4<f32>,
    @location(0) world: vec3<f32>,
    @location(1) normal: vec3<f32>,
    @location(2) uv_m: vec2<f32>,
    @location(3) albedo: vec3<f32>,
    @location(4) @interpolate(flat) instance: u32,
    @location(5) @interpolate(flat) material: u32,
    @location(6) z_cam: f32,
};

@vertex
fn vs_main(v: VsIn) -> VsOut {
    var out: VsOut;
    // A moving object's vertices carry its mover slot in the instance's upper 16 bits; its transform is rigid.
    let mover = frame.movers[min(v.instance >> 16u, 15u)];
    let world = (mover * vec4<f32>(v.position, 1.0)).xyz;
    out.clip = frame.clip_from_world * vec4<f32>(world, 1.0);
    out.world = world;
    out.normal = (mover * vec4<f32>(v.normal, 0.0)).xyz;
    out.uv_m = v.uv_m;
    out.albedo = v.albedo;
    out.instance = v.instance & 0xffffu;
    out.material = v.material;
    // Perspective-correct interpolation of an affine function is exact: this is the true z at the pixel.
    out.z_cam = dot(frame.camera_z_row.xyz, world) + frame.camera_z_row.w;
    return out;
}

fn facing_normal(in: VsOut, front: bool) -> vec3<f32> {
    let n = normalize(in.normal);
    return select(-n, n, front);
}

// GGX microfacet specular plus Lambert diffuse, times n.l: reflected luminance per lux arriving from `l`.
fn brdf_cos(n: vec3<f32>, v: vec3<f32>, l: vec3<f32>, albedo: vec3<f32>, roughness: f32, metallic: f32) -> vec3<f32> {
    let ndl = dot(n, l);
    if (ndl <= 0.0) {
        return vec3<f32>(0.0);
    }
    let h = normalize(v + l);
    let ndv = max(dot(n, v), 1e-4);
    let ndh = max(dot(n, h), 0.0);
    let vdh = max(dot(v, h), 0.0);
    let a = roughness * roughness;
    let a2 = a * a;
    let dd = ndh * ndh * (a2 - 1.0) + 1.0;
    let d = a2 / (PI * dd * dd);
    // Smith-Schlick visibility with k = (r + 1)^2 / 8 for analytic lights.
    let k = (roughness + 1.0) * (roughness + 1.0) / 8.0;
    let g = (ndv / (ndv * (1.0 - k) + k)) * (ndl / (ndl * (1.0 - k) + k));
    let f0 = mix(vec3<f32>(0.04), albedo, metallic);
    let f = f0 + (vec3<f32>(1.0) - f0) * pow(1.0 - vdh, 5.0);
    let specular = d * g * f / (4.0 * ndv * ndl + 1e-4);
    let diffuse = (vec3<f32>(1.0) - f) * (1.0 - metallic) * albedo / PI;
    return (diffuse + specular) * ndl;
}

// Visibility of a light from `p` through its cube shadow map (six layers from `base`), 2x2 PCF.
fn cube_shadow(base: i32, p: vec3<f32>, light: vec3<f32>) -> f32 {
    let v = p - light;
    let a = abs(v);
    var face: i32;
    var uvw: vec3<f32>;
    if (a.x >= a.y && a.x >= a.z) {
        face = select(1, 0, v.x > 0.0);
        uvw = vec3<f32>(v.y, v.z, a.x);
    } else if (a.y >= a.z) {
        face = select(3, 2, v.y > 0.0);
        uvw = vec3<f32>(v.x, v.z, a.y);
    } else {
        face = select(5, 4, v.z > 0.0);
        uvw = vec3<f32>(v.x, v.y, a.z);
    }
    let n = frame.shadow_planes.x;
    let f = frame.shadow_planes.y;
    let uv = uvw.xy / uvw.z * 0.5 + vec2<f32>(0.5);
    let depth = f / (f - n) - f * n / ((f - n) * uvw.z);
    return textureSampleCompareLevel(cube_shadows, shadow_sampler, uv, base + face, depth);
}

fn sun_visibility(p: vec3<f32>) -> f32 {
    let c = frame.sun_clip_from_world * vec4<f32>(p, 1.0);
    let uv = vec2<f32>(c.x * 0.5 + 0.5, 0.5 - c.y * 0.5);
    if (any(uv < vec2<f32>(0.0)) || any(uv > vec2<f32>(1.0)) || c.z > 1.0) {
        return 1.0;
    }
    return textureSampleCompareLevel(sun_shadow, shadow_sampler, uv, c.z);
}

// Luminance of the surface point towards the camera.
fn srgb_decode(c: vec3<f32>) -> vec3<f32> {
    let lo = c / 12.92;
    let hi = pow((c + vec3<f32>(0.055)) / 1.055, vec3<f32>(2.4));
    return select(hi, lo, c <= vec3<f32>(0.04045));
}

// Distance of `p` inside a light's influence box: negative outside, fading over its outer edge.
fn influence_margin(light: Light, p: vec3<f32>) -> f32 {
    let inside = min(p - light.influence_min.xyz, light.influence_max.xyz - p);
    return min(inside.x, min(inside.y, inside.z));
}

fn shade(in: VsOut, front: bool) -> vec3<f32> {
    let layer = in.material & 0xffu;
    // An asset's base-colour image (bit 31): its own texture coordinates, sRGB colour, no relief.
    let is_image = (in.material >> 31u) == 1u;
    let repeat = select(REPEAT_M[min(layer, 10u)], 1.0, is_image);
    let tex = textureSample(textures, texture_sampler, in.uv_m / repeat, layer);
    // Bump mapping from the height channel by screen-space derivatives (no tangents needed).
    let height = select((tex.b - 0.5) * BUMP_M, 0.0, is_image);
    let dpx = dpdx(in.world);
    let dpy = dpdy(in.world);
    let dhx = dpdx(height);
    let dhy = dpdy(height);
    let duvx = dpdx(in.uv_m);
    let duvy = dpdy(in.uv_m);
    let geometric = facing_normal(in, front);
    let r1 = cross(dpy, geometric);
    let r2 = cross(geometric, dpx);
    let det = dot(dpx, r1);
    var n = geometric;
    if (abs(det) > 1e-12) {
        n = normalize(abs(det) * geometric - sign(det) * (dhx * r1 + dhy * r2));
    }
    // A normal map (an asset's), in a cotangent frame built from the same derivatives: T along +u, B along +v
    // (down the image), so the map's +y (up the image) is -B.
    let normal_layer = (in.material >> 24u) & 0x7fu;
    if (normal_layer != 0u) {
        let m = textureSampleGrad(textures, texture_sampler, in.uv_m, normal_layer, duvx, duvy).rgb * 2.0 - vec3<f32>(1.0);
        // The cofactor solution carries the sign of `det` (negative when the screen's y runs down): take it out.
        let t = (r1 * duvx.x + r2 * duvy.x) * sign(det);
        let b = (r1 * duvx.y + r2 * duvy.y) * sign(det);
        let scale = inverseSqrt(max(max(dot(t, t), dot(b, b)), 1e-20));
        n = normalize(t * scale * m.x - b * scale * m.y + geometric * m.z);
    }

    let base_roughness = f32((in.material >> 8u) & 0xffu) / 255.0;
    let albedo = min(select(in.albedo * 2.0 * tex.r, in.albedo * srgb_decode(tex.rgb), is_image), vec3<f32>(0.95));
    let roughness = clamp(select(base_roughness * 2.0 * tex.g, base_roughness, is_image), 0.05, 1.0);
    let metallic = f32((in.material >> 16u) & 0xffu) / 255.0;
    let v = normalize(frame.camera_position.xyz - in.world);
    var luminance = vec3<f32>(0.0);

    // Indirect light: the zone (room) the point is in.
    for (var i = 0u; i < min(frame.counts.y, MAX_ZONES); i = i + 1u) {
        let z = frame.zones[i];
        if (all(in.world >= z.min.xyz) && all(in.world <= z.max.xyz)) {
            let e = z.min.w * mix(z.max.w, 1.0, n.z * 0.5 + 0.5);
            let f0 = mix(vec3<f32>(0.04), albedo, metallic);
            luminance = luminance + z.color.rgb * e * ((1.0 - metallic) * albedo + f0 * 0.5) / PI;
            break;
        }
    }

    // First the lights whose influence box holds the point (a cheap test), then only those: the second loop
    // runs once per light some pixel of the block needs. On lavapipe the light loop is the dominant cost (a
    // loop that skipped every light at its first line cost as much as one doing the work), and this cut the
    // render stage of apartments by about 30 %.
    var todo = 0u;
    for (var i = 0u; i < min(frame.counts.x, MAX_LIGHTS); i = i + 1u) {
        if (influence_margin(frame.lights[i], in.world) > 0.0) {
            todo = todo | (1u << i);
        }
    }
    while (todo != 0u) {
        let i = firstTrailingBit(todo);
        todo = todo & (todo - 1u);
        let light = frame.lights[i];
        let margin = influence_margin(light, in.world);
        let to_light = light.position.xyz - in.world;
        let d2 = max(dot(to_light, to_light), 1e-4);
        let l = to_light * inverseSqrt(d2);
        var intensity = clamp(margin / light.params.y, 0.0, 1.0);
        let kind = i32(light.position.w);
        if (kind == 1) {
            intensity = intensity * max(dot(-l, light.direction.xyz), 0.0);
        } else if (kind == 2) {
            intensity = intensity * smoothstep(light.direction.w, light.params.x, dot(-l, light.direction.xyz));
        }
        if (intensity <= 0.0 || dot(geometric, l) <= 0.0) {
            continue;
        }
        var visible = 1.0;
        if (light.color_cd.w >= 0.0) {
            // Normal offset of about two shadow-map texels at this distance against acne.
            let texel = 2.0 * sqrt(d2) / f32(frame.counts.w);
            visible = cube_shadow(i32(light.color_cd.w), in.world + geometric * texel * 1.5, light.position.xyz);
        }
        if (visible <= 0.0) {
            continue;
        }
        let lux = intensity * visible / d2;
        luminance = luminance + light.color_cd.rgb * lux * brdf_cos(n, v, l, albedo, roughness, metallic);
    }

    if (frame.counts.z == 1u) {
        let l = frame.sun_direction.xyz;
        if (dot(geometric, l) > 0.0) {
            let visible = sun_visibility(in.world + geometric * frame.sun_direction.w * 1.5);
            luminance = luminance + frame.sun_color_lux.rgb * visible * brdf_cos(n, v, l, albedo, roughness, metallic);
        }
    }
    return luminance;
}

struct GroundTruth {
    @location(0) instance: u32,
    // The z-depth's f32 bits: R32Uint is renderable on every backend (R32Float is not on OpenGL ES).
    @location(1) depth_bits: u32,
    // World-space normal of the surface facing the camera, as n * 0.5 + 0.5.
    @location(2) normal: vec4<f32>,
};

fn ground_truth(in: VsOut, front: bool) -> GroundTruth {
    var out: GroundTruth;
    out.instance = in.instance;
    out.depth_bits = bitcast<u32>(in.z_cam);
    out.normal = vec4<f32>(facing_normal(in, front) * 0.5 + vec3<f32>(0.5), 1.0);
    return out;
}

// The colour pass alone (when colour is multisampled and the ground truth is not).
@fragment
fn fs_color(in: VsOut, @builtin(front_facing) front: bool) -> @location(0) vec4<f32> {
    return vec4<f32>(through_medium(shade(in, front), in.world), 1.0);
}

// Koschmieder: transmittance exp(-beta * ray length) (the Euclidean distance to the camera, not z-depth),
// plus airlight for what the medium scatters in.
fn through_medium(radiance: vec3<f32>, world: vec3<f32>) -> vec3<f32> {
    if (frame.fog.x <= 0.0) {
        return radiance;
    }
    let t = exp(-frame.fog.x * distance(world, frame.camera_position.xyz));
    return radiance * t + frame.fog.yzw * (1.0 - t);
}

// The ground-truth pass alone.
@fragment
fn fs_ground_truth(in: VsOut, @builtin(front_facing) front: bool) -> GroundTruth {
    return ground_truth(in, front);
}
