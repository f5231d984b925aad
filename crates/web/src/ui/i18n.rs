//! The UI's languages: the message catalogue of [`domain::i18n`], and the check that every
//! phrase a template uses is in it.

pub use domain::i18n::{T, UiLang, to_traditional};

#[cfg(test)]
mod tests {
    use domain::i18n::known_phrases;

    #[test]
    fn every_phrase_of_the_templates_is_translated() {
        let known: std::collections::HashSet<&str> = known_phrases().collect();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut missing = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("t.s(\"").skip(1) {
                let phrase = piece.split('"').next().unwrap();
                if !known.contains(phrase) {
                    missing.push(phrase.to_owned());
                }
            }
        }
        assert!(missing.is_empty(), "add to crates/domain/i18n/ui.tsv (see its README.md): {missing:?}");
    }
}
