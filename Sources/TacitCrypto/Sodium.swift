internal import CSodium

/// libsodium's one-time set-up, shared by everything in this module that calls it.
enum Sodium {
    /// libsodium picks its implementations and seeds `randombytes` in `sodium_init`; a static
    /// `let` is initialised exactly once, on first use, whichever thread gets there first
    /// (Swift guards it with `swift_once`), which is the "once, thread-safe" libsodium asks for.
    private static let status: Int32 = sodium_init()

    @inline(__always)
    static func ready() {
        // 0: initialised now; 1: already initialised (libzmq's CURVE may have done it).
        guard status >= 0 else {
            fatalError("libsodium failed to initialise (sodium_init returned \(status))")
        }
    }
}
