//! `s^e mod n` for RSA verification: Montgomery multiplication (CIOS, Koç et al. 1996) on
//! 32-bit limbs, whose products are native 64-bit multiplies on wasm32. Every input is public
//! (the key and the signature), so nothing here needs to run in constant time.
//!
//! Written here rather than taken from crypto-bigint's boxed integers, which bring a Karatsuba
//! multiplier for every operand size into the npm package's wasm (README, "How RSA is
//! verified"). The tests check it against crypto-bigint on random operands. The caller
//! (edge-jwt-core's `keys/rsa.rs`) applies RSA's rules: modulus size, exponent, padding.

/// An odd modulus of at least two limbs, prepared for Montgomery arithmetic with `R = 2^(32L)`.
#[derive(Clone)]
pub struct Modulus {
    /// Little-endian limbs.
    n: Vec<u32>,
    /// `-n^-1 mod 2^32`.
    n0_inv: u32,
    /// `R^2 mod n`, to bring a value into Montgomery form.
    r_squared: Vec<u32>,
}

impl Modulus {
    /// `n` as big-endian bytes without leading zeros; `None` if it is even or under 64 bits.
    pub fn new(big_endian: &[u8]) -> Option<Self> {
        let n = limbs(big_endian, big_endian.len().div_ceil(4));
        if n.len() < 2 || n[0] & 1 == 0 || n.last() == Some(&0) {
            return None;
        }
        // Newton's iteration for n^-1 mod 2^32: each step doubles the correct low bits.
        let mut inverse: u32 = 1;
        for _ in 0..5 {
            inverse = inverse.wrapping_mul(2u32.wrapping_sub(n[0].wrapping_mul(inverse)));
        }
        // R^2 mod n by doubling 1, 64L times, reducing as it goes.
        let mut r_squared = vec![0u32; n.len()];
        r_squared[0] = 1;
        for _ in 0..64 * n.len() {
            let carry = shift_left_one(&mut r_squared);
            if carry || !less_than(&r_squared, &n) {
                subtract(&mut r_squared, &n);
            }
        }
        Some(Modulus {
            n0_inv: inverse.wrapping_neg(),
            n,
            r_squared,
        })
    }

    /// `base^exponent mod n` as big-endian bytes of `len` (the modulus' byte length), for a
    /// `base` (big-endian, at most `len` bytes) below `n`.
    pub fn pow(&self, base: &[u8], exponent: u64, len: usize) -> Vec<u8> {
        let base = self.mul(&limbs(base, self.n.len()), &self.r_squared);
        let mut acc = base.clone();
        let top = 63 - exponent.leading_zeros();
        for bit in (0..top).rev() {
            acc = self.mul(&acc, &acc);
            if exponent >> bit & 1 == 1 {
                acc = self.mul(&acc, &base);
            }
        }
        let mut one = vec![0u32; self.n.len()];
        one[0] = 1;
        let result = self.mul(&acc, &one);
        let bytes: Vec<u8> = result.iter().rev().flat_map(|l| l.to_be_bytes()).collect();
        bytes[bytes.len() - len..].to_vec()
    }

    /// Montgomery product `a * b * R^-1 mod n`, for `a` and `b` below `n`.
    fn mul(&self, a: &[u32], b: &[u32]) -> Vec<u32> {
        let len = self.n.len();
        let mut t = vec![0u32; len + 2];
        for &b_i in b {
            let mut carry = 0u64;
            for j in 0..len {
                let sum = u64::from(t[j]) + u64::from(a[j]) * u64::from(b_i) + carry;
                t[j] = sum as u32;
                carry = sum >> 32;
            }
            let sum = u64::from(t[len]) + carry;
            t[len] = sum as u32;
            t[len + 1] = (sum >> 32) as u32;

            let m = t[0].wrapping_mul(self.n0_inv);
            let mut carry = (u64::from(t[0]) + u64::from(m) * u64::from(self.n[0])) >> 32;
            for j in 1..len {
                let sum = u64::from(t[j]) + u64::from(m) * u64::from(self.n[j]) + carry;
                t[j - 1] = sum as u32;
                carry = sum >> 32;
            }
            let sum = u64::from(t[len]) + carry;
            t[len - 1] = sum as u32;
            t[len] = t[len + 1] + (sum >> 32) as u32;
        }
        // t < 2n: one subtraction at most.
        let overflow = t[len] != 0;
        t.truncate(len);
        if overflow || !less_than(&t, &self.n) {
            subtract(&mut t, &self.n);
        }
        t
    }
}

/// Big-endian bytes as `count` little-endian 32-bit limbs (zero-extended).
fn limbs(big_endian: &[u8], count: usize) -> Vec<u32> {
    let mut out = vec![0u32; count];
    for (i, byte) in big_endian.iter().rev().enumerate() {
        out[i / 4] |= u32::from(*byte) << (8 * (i % 4));
    }
    out
}

/// `a <<= 1`; returns the bit shifted out.
fn shift_left_one(a: &mut [u32]) -> bool {
    let mut carry = 0;
    for limb in a.iter_mut() {
        let next = *limb >> 31;
        *limb = (*limb << 1) | carry;
        carry = next;
    }
    carry == 1
}

/// `a < b` for limb vectors of one length.
fn less_than(a: &[u32], b: &[u32]) -> bool {
    a.iter().rev().cmp(b.iter().rev()) == std::cmp::Ordering::Less
}

/// `a -= b` modulo `2^(32L)`.
fn subtract(a: &mut [u32], b: &[u32]) {
    let mut borrow = 0u64;
    for (x, y) in a.iter_mut().zip(b) {
        let diff = u64::from(*x)
            .wrapping_sub(u64::from(*y))
            .wrapping_sub(borrow);
        *x = diff as u32;
        borrow = diff >> 63;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crypto_bigint::modular::{BoxedMontyForm, BoxedMontyParams};
    use crypto_bigint::{BoxedUint, Odd};
    use proptest::prelude::*;

    fn reference(n: &[u8], base: &[u8], exponent: u64) -> Vec<u8> {
        let bits = (n.len() as u32 * 8).div_ceil(64) * 64;
        let modulus = Odd::new(BoxedUint::from_be_slice(n, bits).unwrap()).unwrap();
        let params = BoxedMontyParams::new_vartime(modulus);
        let base = BoxedUint::from_be_slice(base, bits).unwrap();
        let result = BoxedMontyForm::new(base, &params)
            .pow(&BoxedUint::from(exponent))
            .retrieve()
            .to_be_bytes();
        result[result.len() - n.len()..].to_vec()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn agrees_with_crypto_bigint(
            mut n in proptest::collection::vec(any::<u8>(), 8..200),
            base_seed in proptest::collection::vec(any::<u8>(), 200),
            exponent in 1u64..,
        ) {
            n[0] |= 0x80;
            let last = n.len() - 1;
            n[last] |= 1;
            // A base below n: n's top byte halved, so it is smaller whatever follows.
            let mut base = base_seed[..n.len()].to_vec();
            base[0] = n[0] >> 1;
            let modulus = Modulus::new(&n).unwrap();
            prop_assert_eq!(modulus.pow(&base, exponent, n.len()), reference(&n, &base, exponent));
        }
    }

    #[test]
    fn small_cases_by_hand() {
        // 4^13 mod 497 = 445 (a textbook example), with a two-limb modulus padded to 8 bytes.
        let n = [0, 0, 0, 1, 0, 0, 1, 0xf1]; // 2^32 + 497
        let modulus = Modulus::new(&n).unwrap();
        let got = modulus.pow(&[4], 13, 8);
        let want = reference(&n, &[4], 13);
        assert_eq!(got, want);
        assert!(Modulus::new(&[0, 0, 0, 1, 0, 0, 1, 0xf0]).is_none(), "even");
        assert!(
            Modulus::new(&[0xff, 0xff, 0xff, 0xfb]).is_none(),
            "one limb"
        );
    }
}
