//! Deterministic randomness.
//!
//! Each random choice (a slot's jitter, the pick among equally good articles) gets its own RNG seeded
//! from the run's seed and what the choice is about (account, day, slot). The daemon and `preview`
//! then make the same choices whatever the order in which they ask, and a restart changes nothing.

use rand::rngs::StdRng;
use rand::SeedableRng;

/// FNV-1a over the parts, then a SplitMix64 finaliser: stable across Rust versions and platforms,
/// unlike `std::hash::DefaultHasher`.
pub(crate) fn derive(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator so that ["ab","c"] and ["a","bc"] differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix(h)
}

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// An RNG for one named choice.
pub(crate) fn rng_for(seed: u64, parts: &[&[u8]]) -> StdRng {
    StdRng::seed_from_u64(derive(seed, parts))
}

/// A uniform float in [0, 1) for one named choice, without building an RNG.
pub(crate) fn unit(seed: u64, parts: &[&[u8]]) -> f64 {
    // 53 random bits: the precision of an f64 mantissa.
    (derive(seed, parts) >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_inputs_same_value_and_parts_are_separated() {
        assert_eq!(
            derive(7, &[b"blog-x", b"2026-01-01"]),
            derive(7, &[b"blog-x", b"2026-01-01"])
        );
        assert_ne!(derive(7, &[b"ab", b"c"]), derive(7, &[b"a", b"bc"]));
        assert_ne!(derive(7, &[b"x"]), derive(8, &[b"x"]));
    }

    #[test]
    fn unit_is_in_range_and_spread() {
        let values: Vec<f64> = (0u32..1000).map(|i| unit(1, &[&i.to_le_bytes()])).collect();
        assert!(values.iter().all(|v| (0.0..1.0).contains(v)));
        let low = values.iter().filter(|v| **v < 0.5).count();
        assert!((400..600).contains(&low), "{low} of 1000 below 0.5");
    }
}
