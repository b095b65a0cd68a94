internal import CGMP

/// Installs GMP's wiping allocator exactly once, before the first GMP allocation of the
/// process. A global `let` is initialised lazily and thread-safely by the runtime.
let gmpRuntimeReady: Bool = {
    tacit_gmp_install_wiping_allocator()
    return true
}()

/// The limbs of one `BigInt`, tail-allocated next to the object header so a value costs one
/// Swift allocation plus GMP's limb buffer.
///
/// Never mutated while shared: `BigInt` copies it first (copy-on-write), which is what makes
/// `BigInt`'s `@unchecked Sendable` sound.
final class GMPStorage: ManagedBuffer<Void, __mpz_struct> {
    /// A new storage holding zero, with room for `bits` bits before GMP has to reallocate.
    static func make(bits: Int = 0) -> GMPStorage {
        _ = gmpRuntimeReady
        let buffer = GMPStorage.create(minimumCapacity: 1) { _ in () }
        let storage = unsafeDowncast(buffer, to: GMPStorage.self)
        storage.withUnsafeMutablePointerToElements { z in
            if bits > 0 {
                __gmpz_init2(z, mp_bitcnt_t(bits))
            } else {
                __gmpz_init(z)
            }
        }
        return storage
    }

    func copy() -> GMPStorage {
        let other = GMPStorage.make(bits: Int(self.bitCount))
        other.withUnsafeMutablePointerToElements { dst in
            self.withUnsafeMutablePointerToElements { src in __gmpz_set(dst, src) }
        }
        return other
    }

    var bitCount: Int {
        withUnsafeMutablePointerToElements { z in
            tacit_mpz_sgn(z) == 0 ? 0 : Int(__gmpz_sizeinbase(z, 2))
        }
    }

    deinit {
        // The wiping allocator zeroes the limbs as mpz_clear frees them.
        withUnsafeMutablePointerToElements { z in __gmpz_clear(z) }
    }
}
