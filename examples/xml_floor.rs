//! The floor for end-to-end feed benchmarks (`bench/state.sh`): a whole process that reads a
//! feed file and walks every XML event with quick-xml, doing nothing else. Encore reading the
//! same file into an empty state is compared with this, process against process.
//!
//!     cargo run --release --example xml_floor -- FEED

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: xml_floor FEED")?;
    let bytes = std::fs::read(path)?;
    let mut reader = quick_xml::Reader::from_reader(bytes.as_slice());
    let mut buf = Vec::new();
    let mut events = 0usize;
    loop {
        match reader.read_event_into(&mut buf)? {
            quick_xml::events::Event::Eof => break,
            _ => events += 1,
        }
        buf.clear();
    }
    println!("{events} events");
    Ok(())
}
