// Shadow maps: depth only, from a per-face (or the sun's) clip_from_world.

struct ShadowView {
    clip_from_world: mat4x4<f32>,
};
@group(0) @binding(0) var<uniform> shadow_view: ShadowView;

@vertex
fn vs_shadow(@location(0) position: vec3<f32>) -> @builtin(position) vec4<f32> {
    return shadow_view.clip_from_world * vec4<f32>(position, 1.0);
}
