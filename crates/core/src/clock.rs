//! Time comes into the core only through this trait: the Worker reads `Date.now()`, tests
//! use a fixed clock they move by hand.

/// Seconds since the Unix epoch.
pub trait Clock {
    fn now(&self) -> u64;
}
