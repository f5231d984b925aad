//! 解纷码 as a QR code: the link to a case's progress page, drawn as inline SVG by the binary
//! (nothing fetched from elsewhere), on the citizen's case page and on the window's receipt.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};

/// The address a 解纷码 opens: the case's page in the portal, after the party signs in.
pub fn tracking_url(site: &str, code: &str) -> String {
    format!("{site}/portal/t/{code}")
}

/// The QR code of `url` as an SVG element, sized by CSS (`viewBox`, no fixed width): medium
/// error correction, so that a creased paper receipt still scans.
pub fn svg(url: &str) -> String {
    // A link of a few dozen bytes always fits a QR code; should it not, no picture is better
    // than a broken page: the code is printed beside it in letters too.
    let Ok(code) = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M) else { return String::new() };
    code.render::<svg::Color>()
        .min_dimensions(160, 160)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .quiet_zone(true)
        .build()
        .replacen("<?xml version=\"1.0\" standalone=\"yes\"?>", "", 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_is_an_inline_svg_of_the_tracking_link() {
        let url = tracking_url("http://10.0.0.5:8080", "JF0123456789");
        assert_eq!(url, "http://10.0.0.5:8080/portal/t/JF0123456789");
        let svg = svg(&url);
        assert!(svg.starts_with("<svg"), "{}", &svg[..40.min(svg.len())]);
        assert!(svg.contains("viewBox") || svg.contains("width"));
        // Modules are drawn: a version-3 code of this link has hundreds of dark squares.
        assert!(svg.matches('M').count() + svg.matches("<rect").count() > 1, "no modules drawn");
    }

    #[test]
    fn different_links_give_different_codes() {
        assert_ne!(svg("http://a/portal/t/JF0000000001"), svg("http://a/portal/t/JF0000000002"));
    }
}
