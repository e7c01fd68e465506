//! Visibility counted from the instance map rendered with each frame (the one ground truth taken from pixels).

use std::collections::BTreeMap;

/// How much of one object a frame shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectVisibility {
    pub id: u32,
    /// Pixels of the instance map equal to `id`.
    pub visible_px: u32,
    /// Pixels the object would cover with nothing else drawn (from its geometry, see [`crate::silhouette`]);
    /// `None` until [`FrameVisibility::add_unoccluded`] fills it in.
    pub unoccluded_px: Option<u32>,
    /// Bounds of the visible pixels in pixel edges: `[u_min, v_min, u_max, v_max]`; all 0 when none is visible.
    pub bbox_2d: [u32; 4],
}

/// Visibility of every object a frame shows, sorted by id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FrameVisibility {
    pub objects: Vec<ObjectVisibility>,
}

impl FrameVisibility {
    /// Counts ids in a row-major instance map (0 = background).
    pub fn from_instance_map(ids: &[u16], width: u32, height: u32) -> FrameVisibility {
        assert_eq!(ids.len(), (width * height) as usize, "instance map size");
        // Dense per-id accumulators: ids are small integers, and a Vec keeps the order fixed.
        let mut acc: Vec<Option<ObjectVisibility>> = Vec::new();
        for (j, row) in ids.chunks_exact(width as usize).enumerate() {
            for (i, &id) in row.iter().enumerate() {
                if id == 0 {
                    continue;
                }
                let id = id as usize;
                if acc.len() <= id {
                    acc.resize(id + 1, None);
                }
                let (i, j) = (i as u32, j as u32);
                let e = acc[id].get_or_insert(ObjectVisibility {
                    id: id as u32,
                    visible_px: 0,
                    unoccluded_px: None,
                    bbox_2d: [i, j, i + 1, j + 1],
                });
                e.visible_px += 1;
                e.bbox_2d =
                    [e.bbox_2d[0].min(i), e.bbox_2d[1].min(j), e.bbox_2d[2].max(i + 1), e.bbox_2d[3].max(j + 1)];
            }
        }
        FrameVisibility { objects: acc.into_iter().flatten().collect() }
    }

    /// Sets every object's unoccluded pixel count from `(id, unoccluded_px)` pairs, and lists the objects that
    /// would show were nothing in front of them (unoccluded but not visible: `visible_px` 0). Stays sorted by id.
    pub fn add_unoccluded(&mut self, counts: &[(u32, u32)]) {
        for &(id, n) in counts {
            match self.objects.binary_search_by_key(&id, |o| o.id) {
                // The exact silhouette and the rasterizer can disagree on a few edge pixels (ties at pixel
                // centres): never report fewer unoccluded pixels than visible ones.
                Ok(i) => self.objects[i].unoccluded_px = Some(n.max(self.objects[i].visible_px)),
                Err(i) if n > 0 => self
                    .objects
                    .insert(i, ObjectVisibility { id, visible_px: 0, unoccluded_px: Some(n), bbox_2d: [0; 4] }),
                Err(_) => {}
            }
        }
    }

    pub fn get(&self, id: u32) -> Option<&ObjectVisibility> {
        self.objects.binary_search_by_key(&id, |o| o.id).ok().map(|i| &self.objects[i])
    }
}

/// Over a whole video: when each object is seen and how large it gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectSeen {
    pub first_frame: u32,
    pub last_frame: u32,
    pub frames_seen: u32,
    pub max_visible_px: u32,
    /// First and last frame showing at least the summary's `salient_px` pixels of it (None: never that much).
    pub first_salient_frame: Option<u32>,
    pub last_salient_frame: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VisibilitySummary {
    pub objects: BTreeMap<u32, ObjectSeen>,
    /// Visible pixels from which an object counts as salient in a frame.
    pub salient_px: u32,
    /// Per object, the frames in which it is salient, in order.
    pub salient_frames: BTreeMap<u32, Vec<u32>>,
}

impl VisibilitySummary {
    /// An empty summary with a saliency threshold (visible pixels).
    pub fn with_salient_px(salient_px: u32) -> VisibilitySummary {
        VisibilitySummary { objects: BTreeMap::new(), salient_px, salient_frames: BTreeMap::new() }
    }

    /// Folds in frame `k`; frames must come in order.
    pub fn add(&mut self, k: u32, frame: &FrameVisibility) {
        for o in frame.objects.iter().filter(|o| o.visible_px > 0) {
            let e = self.objects.entry(o.id).or_insert(ObjectSeen {
                first_frame: k,
                last_frame: k,
                frames_seen: 0,
                max_visible_px: 0,
                first_salient_frame: None,
                last_salient_frame: None,
            });
            if o.visible_px >= self.salient_px.max(1) {
                e.first_salient_frame.get_or_insert(k);
                e.last_salient_frame = Some(k);
                self.salient_frames.entry(o.id).or_default().push(k);
            }
            e.last_frame = k;
            e.frames_seen += 1;
            e.max_visible_px = e.max_visible_px.max(o.visible_px);
        }
    }

    pub fn max_visible_px(&self, id: u32) -> u32 {
        self.objects.get(&id).map_or(0, |s| s.max_visible_px)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_bounds_follow_pixel_edges() {
        // 4 x 3 map: id 2 at (1,0) and (2,1); id 5 at (3,2).
        let map = [0, 2, 0, 0, 0, 0, 2, 0, 0, 0, 0, 5];
        let v = FrameVisibility::from_instance_map(&map, 4, 3);
        assert_eq!(v.objects.len(), 2);
        let two = v.get(2).unwrap();
        assert_eq!(two.visible_px, 2);
        assert_eq!(two.bbox_2d, [1, 0, 3, 2]);
        assert_eq!(v.get(5).unwrap().bbox_2d, [3, 2, 4, 3]);
        assert!(v.get(1).is_none());
    }

    #[test]
    fn unoccluded_counts_fill_in_and_hidden_objects_join_the_list() {
        let mut v = FrameVisibility::from_instance_map(&[0, 2, 2, 5], 4, 1);
        v.add_unoccluded(&[(2, 3), (3, 4), (5, 1), (9, 0)]);
        let ids: Vec<u32> = v.objects.iter().map(|o| o.id).collect();
        assert_eq!(ids, [2, 3, 5], "hidden object 3 is listed in id order; 9 covers nothing");
        assert_eq!(v.get(3).unwrap().visible_px, 0);
        assert_eq!(v.get(2).unwrap().unoccluded_px, Some(3));
        // The summary only counts frames that show an object.
        let mut s = VisibilitySummary::default();
        s.add(0, &v);
        assert!(!s.objects.contains_key(&3));
    }

    #[test]
    fn summary_tracks_first_and_last_frames() {
        let mut s = VisibilitySummary::default();
        s.add(0, &FrameVisibility::from_instance_map(&[0, 3], 2, 1));
        s.add(1, &FrameVisibility::from_instance_map(&[3, 3], 2, 1));
        s.add(2, &FrameVisibility::from_instance_map(&[0, 0], 2, 1));
        let seen = s.objects[&3];
        assert_eq!((seen.first_frame, seen.last_frame, seen.frames_seen, seen.max_visible_px), (0, 1, 2, 2));
    }

    #[test]
    fn salient_frames_need_the_threshold() {
        // Object 3 shows 1, 3, 2, 0 pixels in frames 0 to 3; salient from 2 pixels on.
        let mut s = VisibilitySummary::with_salient_px(2);
        for (k, map) in [[0, 0, 3], [3, 3, 3], [3, 3, 0], [0, 0, 0]].iter().enumerate() {
            s.add(k as u32, &FrameVisibility::from_instance_map(map, 3, 1));
        }
        let seen = s.objects[&3];
        assert_eq!((seen.first_frame, seen.last_frame), (0, 2));
        assert_eq!((seen.first_salient_frame, seen.last_salient_frame), (Some(1), Some(2)));
        let mut never = VisibilitySummary::with_salient_px(5);
        never.add(0, &FrameVisibility::from_instance_map(&[3, 3], 2, 1));
        assert_eq!(never.objects[&3].first_salient_frame, None);
    }
}
