//! A minimal WebM (Matroska) writer for one track of VP8 video or Opus audio: the frames the
//! SFU forwards, as they arrived, in SimpleBlocks — no transcoding. Any standard player (a
//! browser's `<video>`, VLC, ffprobe) opens the result.
//!
//! The file is built in memory: each cluster is written when it closes (its size then known),
//! and the header (with the duration) is put in front when the track is finished.

/// What a track carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Vp8,
    Opus,
}

/// A cluster is closed before its relative timecodes (signed 16 bits, milliseconds) overflow.
const CLUSTER_MAX_MS: u64 = 30_000;

/// One track being written.
#[derive(Debug)]
pub struct TrackWriter {
    codec: Codec,
    /// The media time (µs) of the first frame written: the file starts at 0.
    origin_us: Option<u64>,
    /// Closed clusters.
    body: Vec<u8>,
    /// The open cluster: its timecode (ms) and its SimpleBlocks.
    cluster: Option<(u64, Vec<u8>)>,
    last_ms: u64,
    frames: u64,
    width: u16,
    height: u16,
}

impl TrackWriter {
    pub fn new(codec: Codec) -> Self {
        TrackWriter {
            codec,
            origin_us: None,
            body: Vec::new(),
            cluster: None,
            last_ms: 0,
            frames: 0,
            width: 0,
            height: 0,
        }
    }

    /// How many frames were written.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Adds one frame at its media time (µs). Video begins at a key frame: what comes before
    /// the first one cannot be decoded and is left out.
    pub fn push(&mut self, time_us: u64, frame: &[u8]) {
        if frame.is_empty() {
            return;
        }
        let keyframe = match self.codec {
            Codec::Opus => true,
            Codec::Vp8 => vp8_keyframe(frame),
        };
        if self.origin_us.is_none() {
            if !keyframe {
                return;
            }
            if let Some((w, h)) = vp8_size(frame).filter(|_| self.codec == Codec::Vp8) {
                (self.width, self.height) = (w, h);
            }
            self.origin_us = Some(time_us);
        }
        let origin = self.origin_us.unwrap_or(time_us);
        // Frames that arrive out of order keep the last time: the player never goes back.
        let ms = (time_us.saturating_sub(origin) / 1000).max(self.last_ms);
        self.last_ms = ms;
        let start_new = match &self.cluster {
            None => true,
            Some((start, blocks)) => {
                ms - start > CLUSTER_MAX_MS || (self.codec == Codec::Vp8 && keyframe && !blocks.is_empty())
            }
        };
        if start_new {
            self.close_cluster();
            self.cluster = Some((ms, Vec::new()));
        }
        if let Some((start, blocks)) = &mut self.cluster {
            let relative = (ms - *start) as i16;
            let mut block = Vec::with_capacity(frame.len() + 4);
            block.push(0x81); // track number 1
            block.extend_from_slice(&relative.to_be_bytes());
            block.push(if keyframe { 0x80 } else { 0x00 });
            block.extend_from_slice(frame);
            element(blocks, 0xA3, &block);
        }
        self.frames += 1;
    }

    fn close_cluster(&mut self) {
        if let Some((start, blocks)) = self.cluster.take() {
            let mut cluster = Vec::with_capacity(blocks.len() + 16);
            uint_element(&mut cluster, 0xE7, start);
            cluster.extend_from_slice(&blocks);
            element(&mut self.body, 0x1F43_B675, &cluster);
        }
    }

    /// The finished file, or None when no frame was written (nothing to keep).
    pub fn finish(mut self) -> Option<Vec<u8>> {
        if self.frames == 0 {
            return None;
        }
        self.close_cluster();
        let mut out = Vec::with_capacity(self.body.len() + 256);
        let mut ebml = Vec::new();
        uint_element(&mut ebml, 0x4286, 1); // EBMLVersion
        uint_element(&mut ebml, 0x42F7, 1); // EBMLReadVersion
        uint_element(&mut ebml, 0x42F2, 4); // EBMLMaxIDLength
        uint_element(&mut ebml, 0x42F3, 8); // EBMLMaxSizeLength
        element(&mut ebml, 0x4282, b"webm"); // DocType
        uint_element(&mut ebml, 0x4287, 4); // DocTypeVersion
        uint_element(&mut ebml, 0x4285, 2); // DocTypeReadVersion
        element(&mut out, 0x1A45_DFA3, &ebml);

        let mut segment = Vec::with_capacity(self.body.len() + 200);
        let mut info = Vec::new();
        uint_element(&mut info, 0x2A_D7B1, 1_000_000); // TimecodeScale: milliseconds
        element(&mut info, 0x4D80, b"fengqiao-sfu"); // MuxingApp
        element(&mut info, 0x5741, b"fengqiao-sfu"); // WritingApp
        // Duration: the last frame's time plus one frame (20 ms of Opus, or ~33 ms of video).
        let duration = (self.last_ms + if self.codec == Codec::Opus { 20 } else { 33 }) as f64;
        element(&mut info, 0x4489, &duration.to_be_bytes());
        element(&mut segment, 0x1549_A966, &info);

        let mut entry = Vec::new();
        uint_element(&mut entry, 0xD7, 1); // TrackNumber
        uint_element(&mut entry, 0x73C5, 1); // TrackUID
        match self.codec {
            Codec::Vp8 => {
                uint_element(&mut entry, 0x83, 1); // TrackType: video
                element(&mut entry, 0x86, b"V_VP8");
                let mut video = Vec::new();
                uint_element(&mut video, 0xB0, self.width.into()); // PixelWidth
                uint_element(&mut video, 0xBA, self.height.into()); // PixelHeight
                element(&mut entry, 0xE0, &video);
            }
            Codec::Opus => {
                uint_element(&mut entry, 0x83, 2); // TrackType: audio
                element(&mut entry, 0x86, b"A_OPUS");
                element(&mut entry, 0x63A2, &opus_head());
                uint_element(&mut entry, 0x56BB, 80_000_000); // SeekPreRoll: 80 ms
                let mut audio = Vec::new();
                element(&mut audio, 0xB5, &48_000f64.to_be_bytes()); // SamplingFrequency
                uint_element(&mut audio, 0x9F, 2); // Channels
                element(&mut entry, 0xE1, &audio);
            }
        }
        let mut tracks = Vec::new();
        element(&mut tracks, 0xAE, &entry);
        element(&mut segment, 0x1654_AE6B, &tracks);
        segment.extend_from_slice(&self.body);
        element(&mut out, 0x1853_8067, &segment);
        Some(out)
    }
}

/// The Opus identification header (RFC 7845 §5.1) WebM carries as CodecPrivate: two
/// channels (what WebRTC negotiates), 48 kHz, no pre-skip, no gain, mapping family 0.
fn opus_head() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1); // version
    head.push(2); // channels
    head.extend_from_slice(&0u16.to_le_bytes()); // pre-skip
    head.extend_from_slice(&48_000u32.to_le_bytes()); // input sample rate
    head.extend_from_slice(&0i16.to_le_bytes()); // output gain
    head.push(0); // channel mapping family
    head
}

/// A VP8 frame is a key frame when the lowest bit of its first byte is 0 (RFC 6386 §9.1).
pub fn vp8_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 1 == 0)
}

/// A VP8 key frame's width and height (after the start code 9d 01 2a).
fn vp8_size(frame: &[u8]) -> Option<(u16, u16)> {
    if frame.len() < 10 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let width = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let height = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((width, height))
}

/// Writes an element: its ID (its own bytes, marker included), its size as an 8-byte EBML
/// variable-length integer, its content.
fn element(out: &mut Vec<u8>, id: u32, content: &[u8]) {
    let id_bytes = id.to_be_bytes();
    let skip = id_bytes.iter().take_while(|b| **b == 0).count();
    out.extend_from_slice(&id_bytes[skip..]);
    let size = content.len() as u64 | (1 << 56);
    out.extend_from_slice(&size.to_be_bytes());
    out.extend_from_slice(content);
}

/// An unsigned integer element, in as few bytes as it needs.
fn uint_element(out: &mut Vec<u8>, id: u32, value: u64) {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    element(out, id, &bytes[skip..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one element at `at`: (id, content range).
    fn read(data: &[u8], at: usize) -> (u32, std::ops::Range<usize>) {
        let len_of = |b: u8| b.leading_zeros() as usize + 1;
        let id_len = len_of(data[at]);
        let id = data[at..at + id_len].iter().fold(0u32, |a, b| a << 8 | u32::from(*b));
        let size_len = len_of(data[at + id_len]);
        let mut size = u64::from(data[at + id_len]) & (0xff >> size_len);
        for b in &data[at + id_len + 1..at + id_len + size_len] {
            size = size << 8 | u64::from(*b);
        }
        let start = at + id_len + size_len;
        (id, start..start + size as usize)
    }

    fn children(data: &[u8], range: std::ops::Range<usize>) -> Vec<(u32, std::ops::Range<usize>)> {
        let mut out = Vec::new();
        let mut at = range.start;
        while at < range.end {
            let (id, r) = read(data, at);
            at = r.end;
            out.push((id, r));
        }
        assert_eq!(at, range.end, "children fill their parent exactly");
        out
    }

    fn keyframe(width: u16, height: u16) -> Vec<u8> {
        let mut f = vec![0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a];
        f.extend_from_slice(&width.to_le_bytes());
        f.extend_from_slice(&height.to_le_bytes());
        f.extend_from_slice(&[7; 20]);
        f
    }

    #[test]
    fn nothing_written_is_no_file() {
        assert!(TrackWriter::new(Codec::Opus).finish().is_none());
        let mut video = TrackWriter::new(Codec::Vp8);
        video.push(0, &[0x01, 2, 3]); // an inter frame first: left out
        assert!(video.finish().is_none());
    }

    #[test]
    fn video_starts_at_a_keyframe_and_clusters_at_each() {
        let mut w = TrackWriter::new(Codec::Vp8);
        w.push(1_000, &[0x01, 9, 9]); // before the first key frame: dropped
        w.push(2_000_000, &keyframe(640, 480));
        w.push(2_033_000, &[0x01, 1, 1]);
        w.push(3_000_000, &keyframe(640, 480));
        w.push(3_033_000, &[0x01, 2, 2]);
        assert_eq!(w.frames(), 4);
        let file = w.finish().unwrap();
        let top = children(&file, 0..file.len());
        assert_eq!(top.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [0x1A45_DFA3, 0x1853_8067]);
        let header = children(&file, top[0].1.clone());
        let doctype = header.iter().find(|(id, _)| *id == 0x4282).unwrap();
        assert_eq!(&file[doctype.1.clone()], b"webm");
        let segment = children(&file, top[1].1.clone());
        let ids: Vec<u32> = segment.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [0x1549_A966, 0x1654_AE6B, 0x1F43_B675, 0x1F43_B675]);
        let tracks = children(&file, segment[1].1.clone());
        let entry = children(&file, tracks[0].1.clone());
        let codec = entry.iter().find(|(id, _)| *id == 0x86).unwrap();
        assert_eq!(&file[codec.1.clone()], b"V_VP8");
        let video = entry.iter().find(|(id, _)| *id == 0xE0).unwrap();
        let size = children(&file, video.1.clone());
        assert_eq!(file[size[0].1.clone()], [0x02, 0x80]); // 640
        assert_eq!(file[size[1].1.clone()], [0x01, 0xE0]); // 480
        let second = children(&file, segment[3].1.clone());
        assert_eq!(&file[second[0].1.clone()], &[0x03, 0xE8]); // cluster at 1000 ms
        let block = &file[second[2].1.clone()];
        assert_eq!(block[..4], [0x81, 0x00, 0x21, 0x00]); // track 1, +33 ms, not a key frame
        assert_eq!(&block[4..], &[0x01, 2, 2]);
    }

    #[test]
    fn audio_is_opus_with_its_head() {
        let mut w = TrackWriter::new(Codec::Opus);
        for i in 0..100u64 {
            w.push(5_000_000 + i * 20_000, &[0xfc, i as u8]);
        }
        let file = w.finish().unwrap();
        let top = children(&file, 0..file.len());
        let segment = children(&file, top[1].1.clone());
        let info = children(&file, segment[0].1.clone());
        let duration = info.iter().find(|(id, _)| *id == 0x4489).unwrap();
        let ms = f64::from_be_bytes(file[duration.1.clone()].try_into().unwrap());
        assert_eq!(ms, 2_000.0);
        let entry = children(&file, children(&file, segment[1].1.clone())[0].1.clone());
        let private = entry.iter().find(|(id, _)| *id == 0x63A2).unwrap();
        assert!(file[private.1.clone()].starts_with(b"OpusHead"));
        let cluster = children(&file, segment[2].1.clone());
        assert_eq!(cluster.len(), 101); // its timecode and 100 blocks
    }
}
