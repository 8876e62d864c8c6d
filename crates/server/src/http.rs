//! Response plumbing shared by the API and the bundles: strong ETags from
//! the body, conditional requests (`If-None-Match` gives 304), content-coding
//! negotiation and compression.

use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};

/// A strong ETag for `bytes`: the first 128 bits of its SHA-256, quoted.
pub fn etag_of(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The entity tags of `If-None-Match`, without a `W/` prefix: comparison
/// is weak, as RFC 9110 asks for this header.
pub fn if_none_match(headers: &HeaderMap) -> impl Iterator<Item = &str> {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
}

/// The strong ETag of one representation of a body whose content hash is
/// `hash`: `"HASH"` uncompressed, `"HASH-br"` or `"HASH-gz"` compressed, so
/// each representation has its own validator.
pub fn representation_etag(hash: &str, encoding: Encoding) -> String {
    match encoding {
        Encoding::Brotli => format!("\"{hash}-br\""),
        Encoding::Gzip => format!("\"{hash}-gz\""),
        Encoding::Identity => format!("\"{hash}\""),
    }
}

/// Whether `If-None-Match` is `*` or names any representation of the body
/// whose content hash is `hash`: a client holding the gzip body need not
/// download the brotli one.
pub fn holds_any_representation(headers: &HeaderMap, hash: &str) -> bool {
    if_none_match(headers).any(|tag| {
        let tag = tag.trim_matches('"');
        let base = tag.strip_suffix("-br").or_else(|| tag.strip_suffix("-gz"));
        tag == "*" || base.unwrap_or(tag) == hash
    })
}

/// `body` in `encoding`; `None` for identity.
pub fn compress(encoding: Encoding, body: &[u8]) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Write;
    match encoding {
        Encoding::Brotli => {
            let mut out = Vec::with_capacity(body.len() / 3);
            {
                // Quality 9 of 11: close to the best ratio for small JSON in
                // a fraction of the time of 11.
                let mut writer = brotli::CompressorWriter::new(&mut out, 4096, 9, 22);
                writer.write_all(body)?;
                writer.flush()?;
            }
            Ok(Some(out))
        }
        Encoding::Gzip => {
            let mut writer = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            writer.write_all(body)?;
            writer.finish().map(Some)
        }
        Encoding::Identity => Ok(None),
    }
}

/// A content coding the server can send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Brotli,
    Gzip,
    Identity,
}

impl Encoding {
    /// The `Content-Encoding` token; `None` for identity.
    pub fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Brotli => Some("br"),
            Encoding::Gzip => Some("gzip"),
            Encoding::Identity => None,
        }
    }
}

/// The codings the client accepts, best first: brotli, then gzip, then
/// identity. A coding with `q=0` is refused; `*` stands for any coding not
/// named.
pub fn accepted_encodings(headers: &HeaderMap) -> Vec<Encoding> {
    // Codings as written (case-insensitive) with whether their q is
    // above zero; borrowed from the header, so nothing is allocated.
    let mut named: Vec<(&str, bool)> = Vec::new();
    for value in headers.get_all(header::ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or("").trim();
            if coding.is_empty() {
                continue;
            }
            let accepted = parts
                .filter_map(|param| param.trim().strip_prefix("q="))
                .all(|q| q.trim().parse::<f32>().is_ok_and(|q| q > 0.0));
            named.push((coding, accepted));
        }
    }
    let accepts = |tokens: &[&str]| {
        tokens
            .iter()
            .find_map(|token| {
                named
                    .iter()
                    .find(|(coding, _)| coding.eq_ignore_ascii_case(token))
            })
            .or_else(|| named.iter().find(|(coding, _)| *coding == "*"))
            .is_some_and(|(_, accepted)| *accepted)
    };
    let mut result = Vec::with_capacity(3);
    if accepts(&["br"]) {
        result.push(Encoding::Brotli);
    }
    if accepts(&["gzip", "x-gzip"]) {
        result.push(Encoding::Gzip);
    }
    result.push(Encoding::Identity);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: header::HeaderName, value: &'static str) -> HeaderMap {
        let mut map = HeaderMap::new();
        map.insert(name, HeaderValue::from_static(value));
        map
    }

    #[test]
    fn brotli_is_preferred_over_gzip() {
        let map = headers(header::ACCEPT_ENCODING, "gzip, deflate, br, zstd");
        assert_eq!(
            accepted_encodings(&map),
            [Encoding::Brotli, Encoding::Gzip, Encoding::Identity]
        );
    }

    #[test]
    fn q_zero_refuses_a_coding() {
        let map = headers(header::ACCEPT_ENCODING, "br;q=0, gzip;q=0.5");
        assert_eq!(
            accepted_encodings(&map),
            [Encoding::Gzip, Encoding::Identity]
        );
        let map = headers(header::ACCEPT_ENCODING, "*;q=0.1, gzip;q=0");
        assert_eq!(
            accepted_encodings(&map),
            [Encoding::Brotli, Encoding::Identity]
        );
    }

    #[test]
    fn no_header_means_identity() {
        assert_eq!(accepted_encodings(&HeaderMap::new()), [Encoding::Identity]);
    }

    #[test]
    fn if_none_match_accepts_lists_and_weak_tags() {
        let map = headers(header::IF_NONE_MATCH, "\"x\", W/\"abc\"");
        assert!(holds_any_representation(&map, "abc"));
        assert!(!holds_any_representation(&map, "abd"));
        assert!(holds_any_representation(
            &headers(header::IF_NONE_MATCH, "*"),
            "q"
        ));
        let gzip = headers(header::IF_NONE_MATCH, "\"abc-gz\"");
        assert!(holds_any_representation(&gzip, "abc"));
    }

    #[test]
    fn compressed_bodies_round_trip() {
        use std::io::Read;
        let body = br#"{"badges":[]}"#.repeat(40);
        let br = compress(Encoding::Brotli, &body)
            .expect("br")
            .expect("bytes");
        let mut plain = Vec::new();
        brotli::Decompressor::new(br.as_slice(), 4096)
            .read_to_end(&mut plain)
            .expect("decodes");
        assert_eq!(plain, body);
        let gz = compress(Encoding::Gzip, &body).expect("gz").expect("bytes");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(gz.as_slice())
            .read_to_end(&mut plain)
            .expect("decodes");
        assert_eq!(plain, body);
        assert!(br.len() < body.len() / 4 && gz.len() < body.len() / 4);
    }

    #[test]
    fn etag_is_quoted_hex_of_the_body() {
        let tag = etag_of(b"{}");
        assert_eq!(tag.len(), 34);
        assert!(tag.starts_with('"') && tag.ends_with('"'));
        assert_eq!(tag, etag_of(b"{}"));
        assert_ne!(tag, etag_of(b"[]"));
    }
}
