//! Generates the man pages and the bash, zsh and fish completions from the command line's
//! definition (src/cli.rs), so that they never drift from `--help`. They are written beside the
//! binary (target/<profile>/man, target/<profile>/completions), where `cargo deb` picks them up.

use clap::CommandFactory;
use clap_complete::Shell;
use std::path::{Path, PathBuf};

#[allow(dead_code)]
mod cli {
    include!("src/cli.rs");
}

fn main() -> std::io::Result<()> {
    println!("cargo:rerun-if-changed=src/cli.rs");
    println!("cargo:rerun-if-changed=build.rs");
    // Cargo always sets OUT_DIR for build scripts; without it there is nowhere to write.
    let Some(out) = std::env::var_os("OUT_DIR").map(PathBuf::from) else {
        return Err(std::io::Error::other("OUT_DIR is not set"));
    };
    // OUT_DIR is target/<profile>/build/encore-<hash>/out: three levels below the binary.
    let profile_dir = out
        .ancestors()
        .nth(3)
        .unwrap_or(Path::new(&out))
        .to_path_buf();
    let man = profile_dir.join("man");
    let completions = profile_dir.join("completions");
    std::fs::create_dir_all(&man)?;
    std::fs::create_dir_all(&completions)?;
    let mut cmd = cli::Cli::command();
    clap_mangen::generate_to(cmd.clone(), &man)?;
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, "encore", &completions)?;
    }
    Ok(())
}
