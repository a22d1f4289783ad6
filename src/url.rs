//! Where each page lives. Every path here is relative to the site root, uses `/`, and is
//! built only from sanitised segments, so no record can write outside the output folder.

/// The URL segment for a code: lowercase ASCII letters, digits and `_`, other runs become `-`.
/// `NET::ERR_CERT_DATE_INVALID` -> `net-err_cert_date_invalid`, `HTTP 503` -> `http-503`.
pub fn code_slug(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    for c in code.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let slug = out.trim_end_matches('-');
    if slug.is_empty() {
        "code".to_string()
    } else if is_windows_reserved(slug) {
        // `con/` cannot be a folder on Windows, where the zip and exports may be unpacked.
        format!("{slug}_")
    } else {
        slug.to_string()
    }
}

/// Names Windows refuses for a file or folder, whatever the extension.
pub fn is_windows_reserved(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or(name).to_ascii_lowercase();
    matches!(stem.as_str(), "con" | "prn" | "aux" | "nul")
        || (stem.len() == 4 && (stem.starts_with("com") || stem.starts_with("lpt")) && stem.as_bytes()[3].is_ascii_digit() && stem.as_bytes()[3] != b'0')
}

/// Tags are free text; their pages use the same rules as codes.
pub fn tag_slug(tag: &str) -> String {
    code_slug(tag)
}

/// `remote-desktop/0xc07/`: the record page's folder (product keys are checked URL-safe).
pub fn record_path(product: &str, code: &str) -> String {
    format!("{product}/{}/", code_slug(code))
}

pub fn product_path(product: &str) -> String {
    format!("{product}/")
}

/// Page `n` (from 1) of the listing at `path`: `remote-desktop/`, `remote-desktop/page/2/`.
pub fn paged(path: &str, n: usize) -> String {
    if n <= 1 {
        path.to_string()
    } else {
        format!("{path}page/{n}/")
    }
}

/// How many pages a listing of `len` records takes (at least one, even when empty).
pub fn page_total(len: usize, page_size: usize) -> usize {
    if page_size == 0 {
        1
    } else {
        len.div_ceil(page_size).max(1)
    }
}

pub fn tag_path(tag: &str) -> String {
    format!("tags/{}/", tag_slug(tag))
}

pub const HOME: &str = "";
pub const CODES: &str = "codes/";
pub const TAGS: &str = "tags/";
pub const SEARCH: &str = "search/";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_reserved_names_get_a_suffix() {
        assert_eq!(code_slug("CON"), "con_");
        assert_eq!(code_slug("aux"), "aux_");
        assert_eq!(code_slug("LPT1"), "lpt1_");
        assert_eq!(code_slug("LPT0"), "lpt0");
        assert_eq!(code_slug("console"), "console");
        assert!(is_windows_reserved("nul.toml") && !is_windows_reserved("null"));
    }

    #[test]
    fn slugs_are_safe_segments() {
        assert_eq!(code_slug("0xC07"), "0xc07");
        assert_eq!(code_slug("NET::ERR_CERT_DATE_INVALID"), "net-err_cert_date_invalid");
        assert_eq!(code_slug("HTTP 503"), "http-503");
        assert_eq!(code_slug("5.7.1"), "5-7-1");
        assert_eq!(code_slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(code_slug("-2147024891"), "2147024891");
        assert_eq!(code_slug("…"), "code");
    }
}
