//! Strings made of given pieces, the same ones on every run (xorshift from a fixed seed):
//! for tests that check a shortcut against the general code over many inputs.

/// Endless strings of 0 to `max_pieces - 1` of `pieces`.
pub fn texts<'a>(pieces: &'a [&'a str], max_pieces: usize, mut seed: u64) -> impl Iterator<Item = String> + 'a {
    let mut next = move |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    std::iter::repeat_with(move || {
        let count = next(max_pieces);
        (0..count).map(|_| pieces[next(pieces.len())]).collect()
    })
}
