//! Shadow-map projections (pure math, shared with the shaders' lookups) and the per-scene shadow passes.

/// Near and far planes of the cube shadow maps, metres.
pub const CUBE_NEAR_M: f32 = 0.05;
pub const CUBE_FAR_M: f32 = 40.0;

/// The six cube faces as (major axis, its sign, axis along the map's u, axis along its v). The shader's
/// `cube_shadow` picks faces and texture coordinates by the same table.
const FACES: [(usize, f32, usize, usize); 6] =
    [(0, 1.0, 1, 2), (0, -1.0, 1, 2), (1, 1.0, 0, 2), (1, -1.0, 0, 2), (2, 1.0, 0, 1), (2, -1.0, 0, 1)];

/// Row-major clip-from-world of cube face `face` of a light at `light`: x_clip = u, y_clip = -v, w_clip = the
/// distance along the major axis, and a perspective depth in [0, 1] between the near and far planes.
pub fn cube_face_clip_from_world(light: [f32; 3], face: usize) -> [[f32; 4]; 4] {
    let (ma, sign, u, v) = FACES[face];
    let (n, f) = (CUBE_NEAR_M, CUBE_FAR_M);
    let (a, b) = (f / (f - n), -f * n / (f - n));
    let mut m = [[0.0f32; 4]; 4];
    m[0][u] = 1.0;
    m[0][3] = -light[u];
    m[1][v] = -1.0;
    m[1][3] = light[v];
    m[3][ma] = sign;
    m[3][3] = -sign * light[ma];
    for c in 0..4 {
        m[2][c] = a * m[3][c];
    }
    m[2][3] += b;
    m
}

/// Row-major orthographic clip-from-world looking along `-direction_to_sun` that holds the box `min`-`max`,
/// and the world size of one texel of a `px`-texel map.
pub fn sun_clip_from_world(direction_to_sun: [f32; 3], min: [f32; 3], max: [f32; 3], px: u32) -> ([[f32; 4]; 4], f32) {
    let norm = |v: [f32; 3]| {
        let l = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt().max(1e-9);
        v.map(|c| c / l)
    };
    let cross =
        |a: [f32; 3], b: [f32; 3]| [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
    let dot = |a: [f32; 3], b: [f32; 3]| a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
    let forward = norm(direction_to_sun.map(|c| -c));
    let helper = if forward[2].abs() > 0.9 { [1.0, 0.0, 0.0] } else { [0.0, 0.0, 1.0] };
    let right = norm(cross(forward, helper));
    let up = cross(right, forward);
    let mut lo = [f32::INFINITY; 3];
    let mut hi = [f32::NEG_INFINITY; 3];
    for k in 0..8 {
        let p = [0, 1, 2].map(|i| if k >> i & 1 == 0 { min[i] } else { max[i] });
        for (i, axis) in [right, up, forward].iter().enumerate() {
            lo[i] = lo[i].min(dot(p, *axis));
            hi[i] = hi[i].max(dot(p, *axis));
        }
    }
    // A little margin so that geometry on the box's faces is inside.
    for i in 0..3 {
        lo[i] -= 0.05;
        hi[i] += 0.05;
    }
    let mut m = [[0.0f32; 4]; 4];
    for (row, axis) in [right, up].iter().enumerate() {
        let (c, h) = ((lo[row] + hi[row]) / 2.0, (hi[row] - lo[row]) / 2.0);
        for j in 0..3 {
            m[row][j] = axis[j] / h;
        }
        m[row][3] = -c / h;
    }
    let depth = hi[2] - lo[2];
    for j in 0..3 {
        m[2][j] = forward[j] / depth;
    }
    m[2][3] = -lo[2] / depth;
    m[3][3] = 1.0;
    let texel_m = (hi[0] - lo[0]).max(hi[1] - lo[1]) / px as f32;
    (m, texel_m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(m: &[[f32; 4]; 4], p: [f32; 3]) -> [f32; 4] {
        [0, 1, 2, 3].map(|r| m[r][0] * p[0] + m[r][1] * p[1] + m[r][2] * p[2] + m[r][3])
    }

    /// The shader's lookup (face choice, texture coordinates, depth), written out in Rust.
    fn lookup(light: [f32; 3], p: [f32; 3]) -> (usize, [f32; 2], f32) {
        let v = [p[0] - light[0], p[1] - light[1], p[2] - light[2]];
        let a = v.map(f32::abs);
        let (face, uvw) = if a[0] >= a[1] && a[0] >= a[2] {
            (if v[0] > 0.0 { 0 } else { 1 }, [v[1], v[2], a[0]])
        } else if a[1] >= a[2] {
            (if v[1] > 0.0 { 2 } else { 3 }, [v[0], v[2], a[1]])
        } else {
            (if v[2] > 0.0 { 4 } else { 5 }, [v[0], v[1], a[2]])
        };
        let (n, f) = (CUBE_NEAR_M, CUBE_FAR_M);
        let uv = [uvw[0] / uvw[2] * 0.5 + 0.5, uvw[1] / uvw[2] * 0.5 + 0.5];
        (face, uv, f / (f - n) - f * n / ((f - n) * uvw[2]))
    }

    #[test]
    fn cube_faces_rasterize_where_the_shader_looks() {
        let light = [1.0, 2.0, 2.4];
        for p in
            [[3.0, 2.5, 1.0], [-1.0, 2.2, 2.0], [1.3, 5.0, 0.2], [0.5, -1.0, 2.0], [1.2, 2.1, 4.0], [1.5, 2.5, 0.0]]
        {
            let (face, uv, depth) = lookup(light, p);
            let c = apply(&cube_face_clip_from_world(light, face), p);
            let ndc = [c[0] / c[3], c[1] / c[3], c[2] / c[3]];
            // Rasterization maps ndc (x right, y up) to texture (u right, v down).
            let tex = [ndc[0] * 0.5 + 0.5, 0.5 - ndc[1] * 0.5];
            assert!(c[3] > 0.0 && (0.0..=1.0).contains(&ndc[2]), "{p:?} on face {face}: {c:?}");
            assert!((tex[0] - uv[0]).abs() < 1e-5 && (tex[1] - uv[1]).abs() < 1e-5, "{p:?}: {tex:?} vs {uv:?}");
            assert!((ndc[2] - depth).abs() < 1e-5);
        }
    }

    #[test]
    fn the_sun_box_fits_the_scene() {
        let (m, texel) = sun_clip_from_world([0.3, -0.4, 0.8], [0.0, 0.0, 0.0], [8.0, 6.0, 2.7], 2048);
        for k in 0..8 {
            let p = [0, 1, 2].map(|i| if k >> i & 1 == 0 { 0.0 } else { [8.0, 6.0, 2.7][i] });
            let c = apply(&m, p);
            assert!(c[0].abs() <= 1.0 && c[1].abs() <= 1.0 && (0.0..=1.0).contains(&c[2]), "{p:?}: {c:?}");
        }
        // Nearer the sun means smaller depth.
        let (low, high) = (apply(&m, [4.0, 3.0, 0.0]), apply(&m, [4.0, 3.0, 2.0]));
        assert!(high[2] < low[2]);
        assert!(texel > 0.0 && texel < 0.01);
    }
}
