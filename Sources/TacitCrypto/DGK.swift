/// The DGK cryptosystem (Damgård, Geisler, Krøigaard, "Efficient and secure comparison for
/// on-line auctions", ACISP 2007, with the 2009 correction that lengthens the randomness):
/// additively homomorphic encryption of a *small* plaintext space Z_u, built for comparison
/// protocols, where the key holder mostly needs to know whether a ciphertext encrypts zero.
///
/// n = pq with u·v_p | p − 1 and u·v_q | q − 1 (u a small prime, v_p and v_q t-bit primes);
/// g has order u·v_p·v_q and h order v_p·v_q. `E(m) = g^m · h^r mod n` with r of 2.5t bits.
/// The zero test is `c^{v_p} mod p == 1` (one t-bit exponentiation modulo p, with the secret
/// v_p in constant time); full decryption of m < u looks `c^{v_p} mod p` up in a table of the
/// u powers of `g^{v_p} mod p`.
///
/// - ``DGK/PublicKey``: n, u, t, g, h; encryption, homomorphic operations, re-randomisation,
///   precomputed randomisers (``DGK/RandomizerPool``).
/// - ``DGK/PrivateKey``: p, q, v_p, v_q; the zero test and decryption (``DGK/Decryptor`` for
///   hot loops).
/// - ``DGK/Ciphertext``: an element of `1..<n` for the key it was made or checked with.
/// - ``DGK/Wire``: the byte form of keys and ciphertexts, with validation of everything a
///   peer sends.
///
/// Security (as in the paper): semantic security rests on the hardness of telling `h^r` from a
/// random element of Z*_n (a subgroup-decision assumption) and on factoring n; t = 160 and a
/// 2048-bit n are the defaults. A public key cannot be checked for the orders of g and h
/// without the factors: a receiver checks sizes, ranges and coprimality only, and the
/// protocols that use DGK say what that leaves to the semi-honest model.
public enum DGK {}
