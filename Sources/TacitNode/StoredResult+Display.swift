import TacitJob

extension StoredResult {
    /// Each output as `tacit job result` prints it: name, the value's text at a recipient,
    /// and the digest every party recorded.
    public var printable: [(name: String, value: String?, digest: String)] {
        outputs.map { ($0.name, $0.value?.description, $0.digest) }
    }
}
