//! `site.toml`: the site's title, address, language, products and options.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::diagnostic::Diagnostic;
use crate::fs::{InputError, Inputs};
use crate::schema;

pub const SITE_FILE: &str = "site.toml";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: String,
    /// Absolute, used for canonical URLs, the sitemap and the feed.
    pub base_url: Spanned<String>,
    /// BCP 47 language tag.
    pub language: String,
    /// Shown on the home page and used as the site's meta description.
    #[serde(default)]
    pub description: Option<String>,
    pub products: BTreeMap<Spanned<String>, Product>,
    #[serde(default)]
    pub markdown: MarkdownOptions,
    /// How product, tag and A-Z listings are split into pages.
    #[serde(default)]
    pub listing: ListingOptions,
    /// How many records the home page and the Atom feed list as recently updated.
    #[serde(default = "default_recent")]
    pub recent: usize,
    /// `fixbook check`: how loud each content rule is.
    #[serde(default)]
    pub lint: crate::check::LintConfig,
    /// Where readers go when no fix worked, and where their feedback is sent.
    #[serde(default)]
    pub support: SupportConfig,
    /// The content security policy every page declares.
    #[serde(default)]
    pub security: SecurityConfig,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// Replaces the default policy; `""` declares none. The default allows the site's own
    /// scripts, styles and images only, so a page that somehow carries an injected script or
    /// event handler still does not run it.
    #[serde(default)]
    pub content_security_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupportConfig {
    /// The "Contact support" link of the guided fix; `{code}`, `{title}`, `{url}` and
    /// `{summary}` are replaced, URL-encoded.
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    /// Feedback ("did this fix work?", "was this page helpful?") is POSTed here as JSON. None:
    /// no feedback is asked for or sent.
    #[serde(default)]
    pub feedback_url: Option<Spanned<String>>,
}

fn default_recent() -> usize {
    20
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListingOptions {
    /// Records per listing page; 0 puts each listing on one page.
    #[serde(default = "default_page_size")]
    pub page_size: usize,
}

impl Default for ListingOptions {
    fn default() -> Self {
        ListingOptions { page_size: default_page_size() }
    }
}

/// Large enough that most products fit on one page, small enough that a page of a
/// 100,000-record A-Z index stays around 100 KB.
fn default_page_size() -> usize {
    200
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarkdownOptions {
    /// Pass raw HTML in Markdown through as it is. Off: it is shown as text.
    #[serde(default)]
    pub raw_html: bool,
}

impl SiteConfig {
    /// Reads and parses the site file at `path`, a file of the knowledge base `inputs`.
    pub fn from_file(inputs: &Inputs, path: &Path, shown_as: &Path) -> Result<SiteConfig, Vec<Diagnostic>> {
        let source = inputs.read_to_string(path).map_err(|e| {
            let hint = e.hint().unwrap_or("every knowledge base has a site.toml at its root; see docs/record-format.md");
            let message = match &e {
                InputError::Fs(e) => format!("cannot read the site file: {}", e.source),
                refused => refused.reason(),
            };
            vec![Diagnostic::whole_file(shown_as, message).with_hint(hint)]
        })?;
        SiteConfig::parse(shown_as, &source)
    }

    /// Parses and checks `site.toml`; `file` is only used to name it in errors.
    pub fn parse(file: &Path, source: &str) -> Result<SiteConfig, Vec<Diagnostic>> {
        let config: SiteConfig = schema::from_str(file, source)?;
        let mut errors = Vec::new();
        let url = config.base_url.get_ref();
        if !(url.starts_with("https://") || url.starts_with("http://")) || url.len() <= "https://".len() {
            errors.push(
                Diagnostic::at(file, source, config.base_url.span(), "`base_url` must be an absolute http(s) URL")
                    .with_hint("for example base_url = \"https://help.example.com/\""),
            );
        }
        let support = [("support.url", &config.support.url), ("support.feedback_url", &config.support.feedback_url)];
        for (name, value) in support {
            if let Some(v) = value.as_ref().filter(|v| !(v.get_ref().starts_with("https://") || v.get_ref().starts_with("http://"))) {
                errors.push(
                    Diagnostic::at(file, source, v.span(), format!("`{name}` must be an absolute http(s) URL"))
                        .with_hint("for example url = \"https://support.example.com/new?code={code}&summary={summary}\""),
                );
            }
        }
        for key in config.products.keys() {
            if !is_url_segment(key.get_ref()) {
                errors.push(
                    Diagnostic::at(file, source, key.span(), format!("product key `{}` cannot be used in a URL", key.get_ref()))
                        .with_hint("use lowercase letters, digits, `-` and `_`, starting with a letter or digit"),
                );
            } else if crate::url::is_windows_reserved(key.get_ref()) {
                errors.push(
                    Diagnostic::at(file, source, key.span(), format!("product key `{}` is a name Windows reserves for devices", key.get_ref()))
                        .with_hint("the product's folder could not be unpacked on Windows; choose another key"),
                );
            } else if RESERVED_FOLDERS.contains(&key.get_ref().as_str()) {
                errors.push(
                    Diagnostic::at(file, source, key.span(), format!("product key `{}` is the name of a folder Fixbook writes", key.get_ref()))
                        .with_hint(format!("choose another key; these are taken: {}", RESERVED_FOLDERS.join(", "))),
                );
            }
        }
        if config.products.is_empty() {
            errors.push(
                Diagnostic::whole_file(file, "site.toml declares no products")
                    .with_hint("add at least one table such as [products.remote-desktop] with name = \"Remote Desktop\""),
            );
        }
        if errors.is_empty() {
            Ok(config)
        } else {
            Err(errors)
        }
    }

    pub fn product(&self, key: &str) -> Option<&Product> {
        self.products.iter().find(|(k, _)| k.get_ref() == key).map(|(_, p)| p)
    }

    pub fn product_keys(&self) -> impl Iterator<Item = &str> {
        self.products.keys().map(|k| k.get_ref().as_str())
    }

    /// The policy for the `Content-Security-Policy` meta tag; `None` when the site turned it
    /// off. Feedback is POSTed to another origin, so that origin may be connected to.
    pub fn content_security_policy(&self) -> Option<String> {
        if let Some(custom) = &self.security.content_security_policy {
            return Some(custom.trim().to_string()).filter(|p| !p.is_empty());
        }
        let feedback = self.support.feedback_url.as_ref().and_then(|u| origin(u.get_ref())).map(|o| format!(" {o}")).unwrap_or_default();
        Some(format!(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'{feedback}; object-src 'none'; base-uri 'none'; form-action 'self'"
        ))
    }

    /// `base_url` with exactly one trailing slash.
    pub fn base_url(&self) -> String {
        format!("{}/", self.base_url.get_ref().trim_end_matches('/'))
    }

    /// The path part of `base_url` ("/" or "/help/"): what site-absolute links start with.
    pub fn base_path(&self) -> String {
        let url = self.base_url();
        let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
        match after_scheme.find('/') {
            Some(i) => after_scheme[i..].to_string(),
            None => "/".to_string(),
        }
    }
}

/// `https://host:port` of an absolute URL.
fn origin(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&url[..url.len() - rest.len() + end])
}

/// Top-level folders of the output that a product's pages must not land in.
pub const RESERVED_FOLDERS: &[&str] = &["assets", "codes", "search", "tags"];

/// Lowercase ASCII letters, digits, `-` and `_`, not starting with a separator.
pub fn is_url_segment(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const SITE: &str = r#"
title = "Help"
base_url = "https://help.example.com/kb"
language = "en"
[products.remote-desktop]
name = "Remote Desktop"
"#;

    #[test]
    fn base_path_comes_from_base_url() {
        let c = SiteConfig::parse(Path::new("site.toml"), SITE).unwrap();
        assert_eq!(c.base_url(), "https://help.example.com/kb/");
        assert_eq!(c.base_path(), "/kb/");
        assert_eq!(c.product("remote-desktop").unwrap().name, "Remote Desktop");
    }

    #[test]
    fn the_policy_allows_the_feedback_origin_and_can_be_replaced_or_dropped() {
        let c = SiteConfig::parse(Path::new("site.toml"), SITE).unwrap();
        assert!(c.content_security_policy().unwrap().contains("connect-src 'self';"));
        let with = format!("{SITE}[support]\nfeedback_url = \"https://api.example.com:8443/feedback?x=1\"\n");
        let c = SiteConfig::parse(Path::new("site.toml"), &with).unwrap();
        assert!(c.content_security_policy().unwrap().contains("connect-src 'self' https://api.example.com:8443;"));
        let custom = format!("{SITE}[security]\ncontent_security_policy = \"default-src *\"\n");
        assert_eq!(SiteConfig::parse(Path::new("site.toml"), &custom).unwrap().content_security_policy().as_deref(), Some("default-src *"));
        let off = format!("{SITE}[security]\ncontent_security_policy = \"\"\n");
        assert_eq!(SiteConfig::parse(Path::new("site.toml"), &off).unwrap().content_security_policy(), None);
    }

    #[test]
    fn unknown_key_is_located() {
        let src = SITE.replace("language", "langauge");
        let errs = SiteConfig::parse(Path::new("site.toml"), &src).unwrap_err();
        assert_eq!(errs[0].line, 4);
        assert_eq!(errs[0].hint.as_deref(), Some("did you mean `language`?"));
    }

    #[test]
    fn product_keys_must_be_url_safe() {
        let src = SITE.replace("remote-desktop", "\"Remote Desktop\"");
        let errs = SiteConfig::parse(Path::new("site.toml"), &src).unwrap_err();
        assert!(errs[0].message.contains("cannot be used in a URL"), "{errs:?}");
    }

    #[test]
    fn product_keys_cannot_take_the_site_folders() {
        let src = SITE.replace("remote-desktop", "search");
        let errs = SiteConfig::parse(Path::new("site.toml"), &src).unwrap_err();
        assert!(errs[0].message.contains("is the name of a folder Fixbook writes"), "{errs:?}");
    }
}
