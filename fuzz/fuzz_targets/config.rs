//! Any text as a config file: a config or an error naming a line, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match encore::Config::parse(std::path::Path::new("/etc/encore/fuzz.toml"), text) {
        Ok(c) => assert!(!c.accounts.is_empty()),
        Err(encore::ConfigError::Invalid { line, col, message, .. }) => {
            assert!(line >= 1 && col >= 1 && !message.is_empty());
            assert!(line <= text.lines().count().max(1) + 1);
        }
        Err(e) => panic!("parse gave a read error: {e}"),
    }
});
