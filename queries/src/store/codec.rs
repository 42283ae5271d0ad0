//! How values are stored: postcard for structure (compact, stable, not
//! self-describing, so every key carries a version), deflate for large
//! blobs. A value that does not decode is a miss, never an error: it was
//! written by another version.

use std::io::{Read, Write};

use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising in-memory values with derived impls does not fail; an
    // empty encoding would only ever be a cache miss.
    postcard::to_allocvec(value).unwrap_or_default()
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

const RAW: u8 = 0;
const DEFLATE: u8 = 1;
/// Below this, compression costs more than it saves.
const MIN_COMPRESS: usize = 512;

pub fn pack(content: &[u8]) -> Vec<u8> {
    if content.len() >= MIN_COMPRESS {
        let mut enc =
            flate2::write::DeflateEncoder::new(vec![DEFLATE], flate2::Compression::fast());
        if enc.write_all(content).is_ok()
            && let Ok(out) = enc.finish()
            && out.len() < content.len()
        {
            return out;
        }
    }
    let mut out = Vec::with_capacity(content.len() + 1);
    out.push(RAW);
    out.extend_from_slice(content);
    out
}

pub fn unpack(stored: &[u8]) -> Option<Vec<u8>> {
    let (&tag, body) = stored.split_first()?;
    match tag {
        RAW => Some(body.to_vec()),
        DEFLATE => {
            let mut out = Vec::with_capacity(body.len() * 4);
            flate2::read::DeflateDecoder::new(body)
                .read_to_end(&mut out)
                .ok()?;
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let small = b"abc".to_vec();
        let big = vec![b'x'; 10_000];
        assert_eq!(unpack(&pack(&small)), Some(small));
        let packed = pack(&big);
        assert!(packed.len() < 200);
        assert_eq!(unpack(&packed), Some(big));
        assert_eq!(unpack(&[9, 1, 2]), None);
        assert_eq!(
            decode::<(u32, String)>(&encode(&(7u32, "s".to_string()))),
            Some((7, "s".into()))
        );
        assert_eq!(decode::<(u32, String)>(&[0xff, 0xff]), None);
    }
}
