//! Sub-frame timing of an exposure and the rolling shutter's per-row weights (pure math).
//!
//! Times are seconds from the moment the first row starts exposing. Row `r` of `height` starts `readout_s *
//! (r + 0.5) / height` later and integrates light for `exposure_s`; a global shutter has `readout_s = 0`. The
//! frame's instant (the contract's timestamp) is the middle of the middle row's exposure,
//! `(readout_s + exposure_s) / 2`.

/// The instants of `count` sub-frames spread evenly over the whole exposure of every row (midpoints of equal
/// slices of `[0, readout_s + exposure_s]`).
pub fn subframe_times_s(count: usize, exposure_s: f32, readout_s: f32) -> Vec<f32> {
    let span = exposure_s + readout_s;
    (0..count).map(|i| (i as f32 + 0.5) / count as f32 * span).collect()
}

/// The frame's instant: mid-exposure of the middle row.
pub fn frame_instant_s(exposure_s: f32, readout_s: f32) -> f32 {
    (exposure_s + readout_s) / 2.0
}

/// Per sub-frame and row, the weight of that sub-frame in that row (`weights[k * height + row]`): the sub-frames
/// whose instants fall inside the row's exposure window share it equally (a box filter over time); a row whose
/// window holds none takes the nearest sub-frame. Each row's weights sum to 1.
pub fn row_weights(times_s: &[f32], exposure_s: f32, readout_s: f32, height: u32) -> Vec<f32> {
    let h = height as usize;
    let mut w = vec![0.0f32; times_s.len() * h];
    for row in 0..h {
        let start = readout_s * (row as f32 + 0.5) / height as f32;
        let end = start + exposure_s;
        let inside: Vec<usize> = (0..times_s.len()).filter(|&k| times_s[k] >= start && times_s[k] <= end).collect();
        if inside.is_empty() {
            let mid = (start + end) / 2.0;
            let nearest = (0..times_s.len())
                .min_by(|&a, &b| (times_s[a] - mid).abs().total_cmp(&(times_s[b] - mid).abs()))
                .expect("at least one sub-frame");
            w[nearest * h + row] = 1.0;
        } else {
            for &k in &inside {
                w[k * h + row] = 1.0 / inside.len() as f32;
            }
        }
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_global_shutter_averages_every_subframe_in_every_row() {
        let t = subframe_times_s(4, 0.02, 0.0);
        for (got, want) in t.iter().zip([0.0025, 0.0075, 0.0125, 0.0175]) {
            assert!((got - want).abs() < 1e-7, "{t:?}");
        }
        let w = row_weights(&t, 0.02, 0.0, 3);
        assert!(w.iter().all(|&x| (x - 0.25).abs() < 1e-6), "{w:?}");
        assert!((frame_instant_s(0.02, 0.0) - 0.01).abs() < 1e-9);
    }

    #[test]
    fn a_rolling_shutter_gives_later_rows_later_subframes() {
        // 8 sub-frames over 10 ms of exposure + 30 ms of readout; 4 rows.
        let (exposure, readout, rows) = (0.01, 0.03, 4);
        let t = subframe_times_s(8, exposure, readout);
        let w = row_weights(&t, exposure, readout, rows);
        let h = rows as usize;
        for row in 0..h {
            let sum: f32 = (0..8).map(|k| w[k * h + row]).sum();
            assert!((sum - 1.0).abs() < 1e-6);
        }
        // The mean time each row sees is its own mid-exposure instant, within one sub-frame slice.
        let slice = (exposure + readout) / 8.0;
        for row in 0..h {
            let mean: f32 = (0..8).map(|k| w[k * h + row] * t[k]).sum();
            let expected = readout * (row as f32 + 0.5) / rows as f32 + exposure / 2.0;
            assert!((mean - expected).abs() <= slice, "row {row}: {mean} vs {expected}");
        }
        // The first row never sees the last sub-frame, the last row never the first.
        assert_eq!(w[7 * h], 0.0);
        assert_eq!(w[h - 1], 0.0);
    }
}
