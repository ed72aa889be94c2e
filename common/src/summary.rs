//! The sink service's answer: what the server counted, so a client can prove
//! that every byte it sent arrived intact and in order.
//!
//! Layout (20 bytes, all big-endian): u64 frame count, u64 payload byte count,
//! u32 CRC-32 (IEEE 802.3, the value Python's `zlib.crc32` gives) over all
//! payload bytes in order. It travels as the payload of one ordinary frame.

/// Bytes in an encoded [`SinkSummary`].
pub const SUMMARY_LEN: usize = 20;

/// Counts of what a sink received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SinkSummary {
    /// Frames received.
    pub frames: u64,
    /// Payload bytes received (headers excluded).
    pub bytes: u64,
    /// CRC-32 over all payload bytes, in order.
    pub crc32: u32,
}

/// A summary payload of the wrong size.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sink summary must be {SUMMARY_LEN} bytes, got {0}")]
pub struct SummaryLenError(pub usize);

impl SinkSummary {
    /// The 20-byte wire form.
    pub fn encode(&self) -> [u8; SUMMARY_LEN] {
        let mut out = [0u8; SUMMARY_LEN];
        out[..8].copy_from_slice(&self.frames.to_be_bytes());
        out[8..16].copy_from_slice(&self.bytes.to_be_bytes());
        out[16..].copy_from_slice(&self.crc32.to_be_bytes());
        out
    }

    /// Parses the wire form.
    ///
    /// # Errors
    /// [`SummaryLenError`] unless `payload` is exactly 20 bytes.
    pub fn decode(payload: &[u8]) -> Result<Self, SummaryLenError> {
        let bytes: &[u8; SUMMARY_LEN] = payload
            .try_into()
            .map_err(|_| SummaryLenError(payload.len()))?;
        Ok(SinkSummary {
            frames: u64::from_be_bytes(bytes[..8].try_into().expect("8 bytes")),
            bytes: u64::from_be_bytes(bytes[8..16].try_into().expect("8 bytes")),
            crc32: u32::from_be_bytes(bytes[16..].try_into().expect("4 bytes")),
        })
    }
}

/// Running tally of frames: used by the server to answer and by the client to
/// know what the answer must be.
#[derive(Debug, Clone, Default)]
pub struct SinkTally {
    frames: u64,
    bytes: u64,
    hasher: crc32fast::Hasher,
}

impl SinkTally {
    /// An empty tally.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one frame's payload.
    pub fn add(&mut self, payload: &[u8]) {
        self.frames += 1;
        self.bytes += payload.len() as u64;
        self.hasher.update(payload);
    }

    /// Counts payload bytes of a frame that is still arriving (a server
    /// reading a stream); [`end_frame`](Self::end_frame) counts the frame.
    pub fn add_bytes(&mut self, bytes: &[u8]) {
        self.bytes += bytes.len() as u64;
        self.hasher.update(bytes);
    }

    /// Counts the end of a frame whose bytes went through
    /// [`add_bytes`](Self::add_bytes).
    pub fn end_frame(&mut self) {
        self.frames += 1;
    }

    /// The summary of everything counted so far.
    pub fn summary(&self) -> SinkSummary {
        SinkSummary {
            frames: self.frames,
            bytes: self.bytes,
            crc32: self.hasher.clone().finalize(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_zlib_check_value() {
        // The standard CRC-32 check value: zlib.crc32(b"123456789") == 0xCBF43926.
        let mut t = SinkTally::new();
        t.add(b"1234");
        t.add(b"56789");
        let s = t.summary();
        assert_eq!(s.crc32, 0xCBF4_3926);
        assert_eq!((s.frames, s.bytes), (2, 9));
    }

    #[test]
    fn encode_decode_roundtrip_and_layout() {
        let s = SinkSummary {
            frames: 3,
            bytes: 0x0102_0304_0506_0708,
            crc32: 0xDEAD_BEEF,
        };
        let wire = s.encode();
        assert_eq!(&wire[..8], &[0, 0, 0, 0, 0, 0, 0, 3]);
        assert_eq!(&wire[8..16], &[1, 2, 3, 4, 5, 6, 7, 8]);
        assert_eq!(&wire[16..], &[0xDE, 0xAD, 0xBE, 0xEF]);
        assert_eq!(SinkSummary::decode(&wire), Ok(s));
        assert_eq!(SinkSummary::decode(&wire[..19]), Err(SummaryLenError(19)));
    }

    #[test]
    fn empty_upload_has_zero_crc() {
        assert_eq!(SinkTally::new().summary(), SinkSummary::default());
    }
}
