//! Escaping, number writing and text-direction helpers for the renderers.

/// Appends `text` with `&`, `<`, `>`, `"` and `'` replaced by entities, so
/// the result is safe both as element content and inside a quoted
/// attribute.
pub fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

/// `text` escaped as by [`escape_into`].
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

/// Appends the decimal digits of `n` without the formatting machinery.
pub fn push_u32(out: &mut String, n: u32) {
    push_uint(out, u64::from(n));
}

/// Appends the decimal digits of `n` without the formatting machinery.
pub fn push_uint(out: &mut String, n: u64) {
    if n >= 10 {
        push_uint(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// Whether `text` holds a character of a right-to-left script (Hebrew,
/// Arabic, Syriac, Thaana, N'Ko and their presentation forms, and the
/// historic RTL blocks). Such text is written with `dir="auto"` so the
/// browser picks its direction from the first strong character.
pub fn is_rtl(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(
            u32::from(c),
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF
        )
    })
}

/// Appends ` dir="auto"` when `text` needs it (see [`is_rtl`]).
pub(crate) fn push_dir(out: &mut String, text: &str) {
    if is_rtl(text) {
        out.push_str(" dir=\"auto\"");
    }
}

/// Appends `<tag class="class" [dir]>escaped text</tag>`.
pub(crate) fn push_text_element(out: &mut String, tag: &str, class: &str, text: &str) {
    out.push('<');
    out.push_str(tag);
    out.push_str(" class=\"");
    out.push_str(class);
    out.push('"');
    push_dir(out, text);
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(tag);
    out.push('>');
}

/// Appends escaped `text`, turning each line break (`\n`, `\r\n` or `\r`)
/// into `<br>`.
pub(crate) fn push_multiline(out: &mut String, text: &str) {
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("<br>");
            }
            '\n' => out.push_str("<br>"),
            _ => {
                let mut buf = [0u8; 4];
                escape_into(out, c.encode_utf8(&mut buf));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_replaces_the_five_special_characters() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain ümlaut"), "plain ümlaut");
    }

    #[test]
    fn push_uint_writes_decimal_digits() {
        let mut out = String::new();
        for n in [0, 7, 10, 4096, u64::from(u32::MAX)] {
            out.clear();
            push_uint(&mut out, n);
            assert_eq!(out, n.to_string());
        }
    }

    #[test]
    fn rtl_text_is_detected() {
        assert!(is_rtl("منتج رائع"));
        assert!(is_rtl("שלום"));
        assert!(!is_rtl("Great product"));
        assert!(!is_rtl("Très bien 👍"));
    }

    #[test]
    fn multiline_keeps_line_breaks_and_escapes() {
        let mut out = String::new();
        push_multiline(&mut out, "a<b>\r\nc\nd\re");
        assert_eq!(out, "a&lt;b&gt;<br>c<br>d<br>e");
    }
}
