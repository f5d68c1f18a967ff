//! Criterion benches for mailproof live in `benches/benches/`; this library is empty.
