import TacitCrypto
import TacitMath

/// Keys shared by the tests (generated once per process).
enum Keys {
    static let policy = Paillier.KeySizePolicy.insecureAnySizeForTesting
    static let k1024: Paillier.PrivateKey = try! Paillier.PrivateKey.generate(bits: 1024, policy: policy)
    /// A 512-bit threshold modulus: 3 parties, threshold 2.
    static let threshold2of3 = try! Paillier.dealThresholdKey(bits: 512, threshold: 2, parties: 3, policy: policy)
    static let threshold3of5 = try! Paillier.dealThresholdKey(bits: 512, threshold: 3, parties: 5, policy: policy)
}

func subsets<T>(_ items: [T], size: Int) -> [[T]] {
    if size == 0 { return [[]] }
    if items.count < size { return [] }
    let head = items[0], tail = Array(items.dropFirst())
    return subsets(tail, size: size - 1).map { [head] + $0 } + subsets(tail, size: size)
}
