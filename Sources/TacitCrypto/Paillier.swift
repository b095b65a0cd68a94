/// Paillier's additively homomorphic encryption over GMP, with Damgård–Jurik–Nielsen fast
/// encryption, CRT decryption in constant-time exponentiation, threshold decryption with
/// proofs, a compact wire format and JSON compatible with python-paillier (`phe`).
///
/// See `Docs/TacitCrypto.md` for the security model, the encodings and their bounds, and the
/// wire format byte by byte.
///
/// - ``Paillier/PublicKey``: n (and the DJN fixed base hs); encryption and every
///   homomorphic operation.
/// - ``Paillier/PrivateKey``: p and q; decryption and key-holder (CRT) encryption.
/// - ``Paillier/Ciphertext``: a validated element of Z*_{n²}.
/// - ``Paillier/ThresholdKeyShare``, ``Paillier/DecryptionShare``: t-of-n decryption.
public enum Paillier {}
