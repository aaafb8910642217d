//! Any bytes through both feed readers: wherever the fast RSS/Atom reader (src/feed/stream.rs)
//! answers, feed-rs must accept the document and give the same items and the same link to
//! older entries. A panic in the fast reader is a crash here (Encore's parse would catch it
//! and ask feed-rs, which hides it).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for base in [None, Some("http://example.org/feed/")] {
        if let Some((fast, reference)) = encore::internals::both_readers(data, base) {
            match reference {
                Ok(reference) => assert_eq!(fast, reference, "the readers disagree"),
                Err(e) => panic!("read fast, but feed-rs refuses it: {e}"),
            }
        }
    }
});
