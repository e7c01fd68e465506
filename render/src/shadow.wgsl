// Shadow maps: depth only, from a per-face (or the sun's) clip_from_world.

struct ShadowView {
    clip_from_world: mat4x4<f32>,
};
@group(0) @binding(0) var<uniform> shadow_view: ShadowView;

// Shadow maps are rendered once per scene: objects that move (a mover slot in the instance's upper 16 bits)
// are left out of them (placed behind the far plane) rather than casting a shadow where they no longer are.
@vertex
fn vs_shadow(@location(0) position: vec3<f32>, @location(4) instance: u32) -> @builtin(position) vec4<f32> {
    if ((instance >> 16u) != 0u) {
        return vec4<f32>(0.0, 0.0, 2.0, 1.0);
    }
    return shadow_view.clip_from_world * vec4<f32>(position, 1.0);
}
