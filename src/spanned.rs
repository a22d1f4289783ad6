//! A value with the byte range of the text it was read from, for errors found after parsing
//! (an unknown product, a duplicate code). Read from TOML as `toml::Spanned`; written to
//! records.json as the bare value, and to the record cache (a binary format) with its range.

use std::ops::Range;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    start: usize,
    end: usize,
    value: T,
}

impl<T> Spanned<T> {
    pub fn new(span: Range<usize>, value: T) -> Spanned<T> {
        Spanned { start: span.start, end: span.end, value }
    }

    pub fn get_ref(&self) -> &T {
        &self.value
    }

    pub fn span(&self) -> Range<usize> {
        self.start..self.end
    }
}

impl<T: Serialize> Serialize for Spanned<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            self.value.serialize(s)
        } else {
            (self.start as u64, self.end as u64, &self.value).serialize(s)
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Spanned<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Spanned<T>, D::Error> {
        if d.is_human_readable() {
            let toml = toml::Spanned::<T>::deserialize(d)?;
            let span = toml.span();
            Ok(Spanned::new(span, toml.into_inner()))
        } else {
            let (start, end, value) = <(u64, u64, T)>::deserialize(d)?;
            Ok(Spanned { start: start as usize, end: end as usize, value })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Doc {
        code: Spanned<String>,
    }

    #[test]
    fn toml_gives_the_span_json_the_value_and_binary_both() {
        let doc: Doc = toml::from_str("code = \"0xc07\"\n").unwrap();
        assert_eq!((doc.code.get_ref().as_str(), doc.code.span()), ("0xc07", 7..14));
        assert_eq!(serde_json::to_string(&doc).unwrap(), r#"{"code":"0xc07"}"#);
        let bytes = postcard::to_stdvec(&doc).unwrap();
        assert_eq!(postcard::from_bytes::<Doc>(&bytes).unwrap(), doc);
    }
}
