//! The top-down plan of a scene as a PNG: the room, its door and swing, its windows, the floor a 0.2 m agent can walk from
//! the door, every object's footprint in its colour and labelled by category, and the camera path.

use diorama_layouts::geom::{Vec2, Vec3};
use diorama_layouts::nav::door_step;
use diorama_layouts::{Apartment, NavGrid};

const PX_PER_M: f32 = 80.0;
const MARGIN_PX: f32 = 24.0;

/// 5 x 7 bitmap glyphs (rows top to bottom, bit 4 the leftmost column) for labels.
fn glyph(c: char) -> [u8; 7] {
    match c {
        'a' => [0x00, 0x00, 0x0E, 0x01, 0x0F, 0x11, 0x0F],
        'b' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x1E],
        'c' => [0x00, 0x00, 0x0E, 0x10, 0x10, 0x11, 0x0E],
        'd' => [0x01, 0x01, 0x0D, 0x13, 0x11, 0x11, 0x0F],
        'e' => [0x00, 0x00, 0x0E, 0x11, 0x1F, 0x10, 0x0E],
        'f' => [0x06, 0x09, 0x08, 0x1C, 0x08, 0x08, 0x08],
        'g' => [0x00, 0x0F, 0x11, 0x11, 0x0F, 0x01, 0x0E],
        'h' => [0x10, 0x10, 0x16, 0x19, 0x11, 0x11, 0x11],
        'i' => [0x04, 0x00, 0x0C, 0x04, 0x04, 0x04, 0x0E],
        'j' => [0x02, 0x00, 0x06, 0x02, 0x02, 0x12, 0x0C],
        'k' => [0x10, 0x10, 0x12, 0x14, 0x18, 0x14, 0x12],
        'l' => [0x0C, 0x04, 0x04, 0x04, 0x04, 0x04, 0x0E],
        'm' => [0x00, 0x00, 0x1A, 0x15, 0x15, 0x11, 0x11],
        'n' => [0x00, 0x00, 0x16, 0x19, 0x11, 0x11, 0x11],
        'o' => [0x00, 0x00, 0x0E, 0x11, 0x11, 0x11, 0x0E],
        'p' => [0x00, 0x00, 0x1E, 0x11, 0x1E, 0x10, 0x10],
        'q' => [0x00, 0x00, 0x0D, 0x13, 0x0F, 0x01, 0x01],
        'r' => [0x00, 0x00, 0x16, 0x19, 0x10, 0x10, 0x10],
        's' => [0x00, 0x00, 0x0E, 0x10, 0x0E, 0x01, 0x1E],
        't' => [0x08, 0x08, 0x1C, 0x08, 0x08, 0x09, 0x06],
        'u' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x13, 0x0D],
        'v' => [0x00, 0x00, 0x11, 0x11, 0x11, 0x0A, 0x04],
        'w' => [0x00, 0x00, 0x11, 0x11, 0x15, 0x15, 0x0A],
        'x' => [0x00, 0x00, 0x11, 0x0A, 0x04, 0x0A, 0x11],
        'y' => [0x00, 0x00, 0x11, 0x11, 0x0F, 0x01, 0x0E],
        'z' => [0x00, 0x00, 0x1F, 0x02, 0x04, 0x08, 0x1F],
        '0' => [0x0E, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0E],
        '1' => [0x04, 0x0C, 0x04, 0x04, 0x04, 0x04, 0x0E],
        '2' => [0x0E, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1F],
        '3' => [0x1F, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0E],
        '4' => [0x02, 0x06, 0x0A, 0x12, 0x1F, 0x02, 0x02],
        '5' => [0x1F, 0x10, 0x1E, 0x01, 0x01, 0x11, 0x0E],
        '6' => [0x06, 0x08, 0x10, 0x1E, 0x11, 0x11, 0x0E],
        '7' => [0x1F, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08],
        '8' => [0x0E, 0x11, 0x11, 0x0E, 0x11, 0x11, 0x0E],
        '9' => [0x0E, 0x11, 0x11, 0x0F, 0x01, 0x02, 0x0C],
        '.' => [0x00, 0x00, 0x00, 0x00, 0x00, 0x0C, 0x0C],
        '#' => [0x0A, 0x0A, 0x1F, 0x0A, 0x1F, 0x0A, 0x0A],
        _ => [0; 7],
    }
}

/// An RGB canvas in plan coordinates (metres, +y up on the page).
struct Canvas {
    w: usize,
    h: usize,
    /// World position of the plan's lower-left corner.
    origin: Vec2,
    depth_m: f32,
    rgb: Vec<u8>,
}

impl Canvas {
    fn new(origin: Vec2, width_m: f32, depth_m: f32) -> Canvas {
        let w = (width_m * PX_PER_M + 2.0 * MARGIN_PX).ceil() as usize;
        let h = (depth_m * PX_PER_M + 2.0 * MARGIN_PX).ceil() as usize;
        Canvas { w, h, origin, depth_m, rgb: vec![255; w * h * 3] }
    }

    fn to_px(&self, p: Vec2) -> Vec2 {
        let p = p - self.origin;
        Vec2::new(MARGIN_PX + p.x * PX_PER_M, MARGIN_PX + (self.depth_m - p.y) * PX_PER_M)
    }

    fn put(&mut self, x: i64, y: i64, c: [u8; 3]) {
        if x >= 0 && y >= 0 && (x as usize) < self.w && (y as usize) < self.h {
            let k = (y as usize * self.w + x as usize) * 3;
            self.rgb[k..k + 3].copy_from_slice(&c);
        }
    }

    /// Fills a convex polygon given in metres.
    fn fill(&mut self, poly: &[Vec2], c: [u8; 3]) {
        let px: Vec<Vec2> = poly.iter().map(|p| self.to_px(*p)).collect();
        let (lo, hi) = px.iter().fold((px[0], px[0]), |(l, h), p| (l.min(*p), h.max(*p)));
        for y in lo.y.floor() as i64..=hi.y.ceil() as i64 {
            for x in lo.x.floor() as i64..=hi.x.ceil() as i64 {
                let q = Vec2::new(x as f32 + 0.5, y as f32 + 0.5);
                let sides = (0..px.len()).map(|i| (px[(i + 1) % px.len()] - px[i]).perp_dot(q - px[i]));
                let (mut pos, mut neg) = (false, false);
                for s in sides {
                    pos |= s > 0.0;
                    neg |= s < 0.0;
                }
                if !(pos && neg) {
                    self.put(x, y, c);
                }
            }
        }
    }

    /// A line in metres, `width_px` wide.
    fn line(&mut self, a: Vec2, b: Vec2, width_px: i64, c: [u8; 3]) {
        let (pa, pb) = (self.to_px(a), self.to_px(b));
        let steps = (pa.distance(pb).ceil() as usize).max(1) * 2;
        for k in 0..=steps {
            let p = pa.lerp(pb, k as f32 / steps as f32);
            for dy in -width_px / 2..=width_px / 2 {
                for dx in -width_px / 2..=width_px / 2 {
                    self.put(p.x as i64 + dx, p.y as i64 + dy, c);
                }
            }
        }
    }

    /// Text centred at a point in metres, on a white box so it stays legible.
    fn label(&mut self, at: Vec2, text: &str) {
        let p = self.to_px(at);
        let (tw, th) = (text.chars().count() as i64 * 6, 9);
        let (x0, y0) = (p.x as i64 - tw / 2, p.y as i64 - th / 2);
        for y in y0 - 1..y0 + th {
            for x in x0 - 1..x0 + tw {
                self.put(x, y, [255, 255, 255]);
            }
        }
        for (i, ch) in text.chars().enumerate() {
            for (row, bits) in glyph(ch).iter().enumerate() {
                for col in 0..5 {
                    if bits & (0x10 >> col) != 0 {
                        self.put(x0 + i as i64 * 6 + col, y0 + 1 + row as i64, [20, 20, 20]);
                    }
                }
            }
        }
    }
}

fn srgb(linear: [f32; 3]) -> [u8; 3] {
    linear.map(|c| (c.clamp(0.0, 1.0).powf(1.0 / 2.2) * 255.0).round() as u8)
}

/// Draws the plan; returns (width, height, RGB8 rows).
pub fn draw(apartment: &Apartment, camera_path: &[Vec3], agent_radius_m: f32) -> (u32, u32, Vec<u8>) {
    let (min, max) = apartment.bounds();
    let mut cv = Canvas::new(min, max.x - min.x, max.y - min.y);
    for l in &apartment.rooms {
        let floor = if l.room.outdoor { [214, 226, 206] } else { [232, 228, 220] };
        // The fill takes convex polygons: the bounding rectangle, then an L-shaped room's notch (solid wall).
        let r = &l.room;
        let (lo, hi) = (r.origin, r.origin + Vec2::new(r.width_m, r.depth_m));
        cv.fill(&[lo, Vec2::new(hi.x, lo.y), hi, Vec2::new(lo.x, hi.y)], floor);
        if let Some((lo, hi)) = l.room.notch_rect() {
            cv.fill(&[lo, Vec2::new(hi.x, lo.y), hi, Vec2::new(lo.x, hi.y)], [120, 120, 120]);
        }
    }

    let grid = NavGrid::build_apartment(apartment, agent_radius_m, 0.1, diorama_layouts::nav::AGENT_HEIGHT_M);
    let entrance = apartment.entrance_room();
    let reach = grid.reachable_from(door_step(entrance, entrance.entrance(), agent_radius_m + 0.1));
    for j in 0..grid.ny {
        for i in 0..grid.nx {
            if reach[j * grid.nx + i] {
                let c = grid.center((i, j));
                let h = grid.cell_m / 2.0 - 0.01;
                cv.fill(
                    &[c + Vec2::new(-h, -h), c + Vec2::new(h, -h), c + Vec2::new(h, h), c + Vec2::new(-h, h)],
                    [205, 232, 200],
                );
            }
        }
    }

    // Lower objects first, so what stands on top covers what it stands on.
    let mut objects: Vec<_> = apartment.furniture().collect();
    objects.sort_by(|a, b| {
        (a.obb.center.z + a.obb.size.z / 2.0).total_cmp(&(b.obb.center.z + b.obb.size.z / 2.0)).then(a.id.cmp(&b.id))
    });
    for o in &objects {
        let foot: Vec<Vec2> = [[-0.5f32, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]]
            .iter()
            .map(|[x, y]| (o.obb.center + o.obb.world_from_local * (Vec3::new(*x, *y, 0.0) * o.obb.size)).truncate())
            .collect();
        cv.fill(&foot, srgb(o.parts[0].color));
        for k in 0..4 {
            cv.line(foot[k], foot[(k + 1) % 4], 1, [60, 60, 60]);
        }
        if o.front {
            // A tick on the front edge.
            let f = (foot[2] + foot[3]) / 2.0;
            let n = o.obb.world_from_local.y_axis.truncate() * 0.12;
            cv.line(f, f + n, 2, [60, 60, 60]);
        }
    }

    // Walls with their door openings, and each door's swing (a door between rooms is drawn by one of them).
    for layout in &apartment.rooms {
        let room = &layout.room;
        for i in 0..4 {
            let (origin, along, inward, length) = room.wall_frame(i);
            let mut gaps: Vec<(f32, f32, bool)> = layout
                .doors
                .iter()
                .filter(|d| d.wall == i)
                .map(|d| {
                    let s = (d.center.truncate() - origin).dot(along);
                    (s - d.width_m / 2.0, d.width_m, d.leads_to.is_none_or(|b| b > room.id))
                })
                .collect();
            gaps.sort_by(|a, b| a.0.total_cmp(&b.0));
            let mut cursor = 0.0;
            for &(start, width, _) in &gaps {
                cv.line(origin + along * cursor, origin + along * start, 5, [70, 70, 70]);
                cursor = start + width;
            }
            cv.line(origin + along * cursor, origin + along * length, 5, [70, 70, 70]);
            for &(start, width, _) in gaps.iter().filter(|g| g.2) {
                let hinge = origin + along * start;
                let arc: Vec<Vec2> = (0..=16)
                    .map(|k| {
                        let a = std::f32::consts::FRAC_PI_2 * k as f32 / 16.0;
                        hinge + (along * a.cos() + inward * a.sin()) * width
                    })
                    .collect();
                for w in arc.windows(2) {
                    cv.line(w[0], w[1], 1, [200, 120, 40]);
                }
                cv.line(hinge, hinge + inward * width, 2, [200, 120, 40]);
            }
        }

        for w in &layout.windows {
            let (_, along, _, _) = room.wall_frame(w.wall);
            let c = w.center.truncate();
            cv.line(c - along * (w.width_m / 2.0), c + along * (w.width_m / 2.0), 3, [120, 190, 240]);
        }
    }

    for w in camera_path.windows(2) {
        cv.line(w[0].truncate(), w[1].truncate(), 2, [40, 90, 220]);
    }
    if let Some(first) = camera_path.first() {
        let p = first.truncate();
        cv.fill(
            &[
                p + Vec2::new(-0.06, -0.06),
                p + Vec2::new(0.06, -0.06),
                p + Vec2::new(0.06, 0.06),
                p + Vec2::new(-0.06, 0.06),
            ],
            [40, 90, 220],
        );
    }

    // Labels of furniture standing on the floor (small objects would crowd the plan), and of each room of an
    // apartment near its corner.
    for o in objects.iter().filter(|o| o.parent.is_none()) {
        cv.label(o.obb.center.truncate(), &o.name);
    }
    if apartment.rooms.len() > 1 {
        for l in &apartment.rooms {
            let name = l.room.name.replace('_', " ");
            cv.label(l.room.origin + Vec2::new(0.15 + name.len() as f32 * 0.05, l.room.depth_m - 0.15), &name);
        }
    }
    (cv.w as u32, cv.h as u32, cv.rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_character_has_a_glyph() {
        let manifest = diorama_assets::Manifest::builtin();
        for cat in manifest.categories.values() {
            for ch in cat.name.chars().filter(|c| *c != ' ') {
                assert!(glyph(ch).iter().any(|r| *r != 0), "no glyph for {ch:?} in {}", cat.name);
            }
        }
    }

    #[test]
    fn fill_covers_the_polygon_and_nothing_else() {
        let mut cv = Canvas::new(Vec2::ZERO, 1.0, 1.0);
        cv.fill(
            &[Vec2::new(0.25, 0.25), Vec2::new(0.75, 0.25), Vec2::new(0.75, 0.75), Vec2::new(0.25, 0.75)],
            [0, 0, 0],
        );
        let black = cv.rgb.chunks(3).filter(|p| p == &[0, 0, 0]).count();
        // A 0.5 m square at 80 px/m is 40 x 40 px (pixel centres decide, so an exact count).
        assert_eq!(black, 40 * 40);
    }
}
