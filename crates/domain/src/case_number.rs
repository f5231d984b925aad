//! The human case number: a per-region yearly serial in a configurable format (DOMAIN.md §3.6).

/// A case-number template with the placeholders `{year}`, `{region}` (the six-digit county
/// code of the registering unit) and `{serial}` or `{serial:N}` (zero-padded to N digits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseNumberFormat {
    template: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseNumberFormatError {
    #[error("the case-number format must contain {{serial}} or {{serial:N}}, and {{year}}, so that numbers are unique")]
    MissingPlaceholder,
    #[error("unknown placeholder {0} in the case-number format")]
    UnknownPlaceholder(String),
}

impl Default for CaseNumberFormat {
    /// `2026-620102-000042`
    fn default() -> Self {
        Self { template: "{year}-{region}-{serial:6}".into() }
    }
}

impl CaseNumberFormat {
    pub fn parse(template: &str) -> Result<Self, CaseNumberFormatError> {
        let mut has_serial = false;
        let mut rest = template;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                return Err(CaseNumberFormatError::UnknownPlaceholder(rest[start..].into()));
            };
            let name = &rest[start + 1..start + len];
            match name {
                "year" | "region" => {}
                "serial" => has_serial = true,
                _ if name.strip_prefix("serial:").is_some_and(|w| w.parse::<u8>().is_ok_and(|w| w <= 12)) => {
                    has_serial = true
                }
                _ => {
                    return Err(CaseNumberFormatError::UnknownPlaceholder(format!("{{{name}}}")));
                }
            }
            rest = &rest[start + len + 1..];
        }
        if !has_serial || !template.contains("{year}") {
            return Err(CaseNumberFormatError::MissingPlaceholder);
        }
        Ok(Self { template: template.into() })
    }

    pub fn render(&self, year: i32, region: &str, serial: i64) -> String {
        let mut out = self.template.replace("{year}", &year.to_string()).replace("{region}", region);
        while let Some(start) = out.find("{serial") {
            let end = start + out[start..].find('}').unwrap_or(out.len() - start);
            let width: usize = out[start + 7..end].trim_start_matches(':').parse().unwrap_or(0);
            out.replace_range(start..=end, &format!("{serial:0width$}"));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_default_and_custom_formats() {
        assert_eq!(CaseNumberFormat::default().render(2026, "620102", 42), "2026-620102-000042");
        let f = CaseNumberFormat::parse("({year}){region}矛调第{serial}号").unwrap();
        assert_eq!(f.render(2026, "620102", 7), "(2026)620102矛调第7号");
    }

    #[test]
    fn refuses_templates_that_cannot_be_unique() {
        assert_eq!(CaseNumberFormat::parse("{region}-{serial}"), Err(CaseNumberFormatError::MissingPlaceholder));
        assert_eq!(CaseNumberFormat::parse("{year}-{region}"), Err(CaseNumberFormatError::MissingPlaceholder));
        assert!(matches!(
            CaseNumberFormat::parse("{year}{serial}{colour}"),
            Err(CaseNumberFormatError::UnknownPlaceholder(_))
        ));
    }
}
