//! Tidy checks of the invariants ARCHITECTURE.md states as absences.

use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn every_source_file_says_what_it_owns() {
    let mut files = Vec::new();
    for dir in ["crates", "xtask"] {
        rust_files(&workspace().join(dir), &mut files);
    }
    assert!(files.len() > 20);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.starts_with("//!"), "{} does not open with a //! module comment", file.display());
    }
}

#[test]
fn the_domain_does_no_io() {
    let manifest = std::fs::read_to_string(workspace().join("crates/domain/Cargo.toml")).unwrap();
    let dependencies = manifest.split("[dependencies]").nth(1).unwrap().split("[dev-dependencies]").next().unwrap();
    for forbidden in ["tokio", "sqlx", "axum", "reqwest", "tower"] {
        assert!(!dependencies.contains(forbidden), "the domain must not depend on {forbidden}");
    }
    let mut files = Vec::new();
    rust_files(&workspace().join("crates/domain/src"), &mut files);
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        for forbidden in ["Utc::now", "Local::now", "std::fs", "std::net", "SystemTime"] {
            assert!(
                !text.contains(forbidden),
                "{} uses {forbidden}: the domain takes `now` and does no I/O",
                file.display()
            );
        }
    }
}

#[test]
fn only_the_binary_reads_the_environment() {
    let mut files = Vec::new();
    for krate in ["domain", "store", "web"] {
        rust_files(&workspace().join("crates").join(krate).join("src"), &mut files);
    }
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains("std::env::var"),
            "{} reads the environment: configuration comes from the binary",
            file.display()
        );
    }
}

/// Every message the code names is in the catalogue (`crates/domain/i18n/messages.tsv`) and is
/// given every parameter its text names (but `{field}`, which a field error binds), and every
/// field a refusal names literally has words there (`field.*`), so no key, placeholder or field
/// path ever reaches a person. The catalogue's own test checks each key's three languages.
#[test]
fn every_message_and_field_the_code_names_is_in_the_catalogue() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let mut missing = Vec::new();
    let literal_after = |text: &str, marker: &str| -> Vec<(String, String)> {
        text.match_indices(marker)
            .filter_map(|(at, _)| {
                let rest = text[at + marker.len()..].trim_start().strip_prefix('"')?;
                let literal = &rest[..rest.find('"')?];
                // The call's arguments: up to the parenthesis that closes it.
                let mut depth = 1;
                let end = rest.char_indices().find_map(|(i, c)| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    (depth == 0).then_some(i)
                })?;
                Some((literal.to_owned(), rest[literal.len() + 1..end].to_owned()))
            })
            .collect()
    };
    for file in files.iter().filter(|f| !f.ends_with("tests/it/tidy.rs")) {
        let text = std::fs::read_to_string(file).unwrap();
        for (key, arguments) in literal_after(&text, "msg!(") {
            let Some(parameters) = domain::i18n::message_parameters(&key) else {
                missing.push(format!("{}: message {key}", file.display()));
                continue;
            };
            for parameter in parameters.iter().filter(|p| **p != "field") {
                if !arguments.contains(&format!("{parameter} =")) {
                    missing.push(format!("{}: message {key} is not given {{{parameter}}}", file.display()));
                }
            }
        }
        let field_markers =
            ["FieldError::new(", "FieldError::required(", "required_text(", "optional_text(", "too_long(", "parse_id("];
        for marker in field_markers {
            for (path, _) in literal_after(&text, marker) {
                for segment in path.split('.') {
                    let name = segment.split('[').next().unwrap_or_default();
                    let key = format!("field.{name}");
                    if !name.is_empty() && !name.contains('{') && domain::i18n::message_parameters(&key).is_none() {
                        missing.push(format!("{}: {key} (for {path})", file.display()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "add to crates/domain/i18n (see its README):\n{}", missing.join("\n"));
}
