public import TacitMPC
public import TacitAdditive
public import TacitShamir

extension ProtocolRegistry {
    /// The protocols Tacit ships: additive sharing with a dealer or with OT-generated triples,
    /// and Shamir sharing. A node builds this at start-up and may register more.
    public static func standard() -> ProtocolRegistry {
        // Names are distinct by construction, so registration cannot fail.
        try! ProtocolRegistry([
            AdditiveProtocol(preprocessing: .dealer(nil)),
            AdditiveProtocol(preprocessing: .obliviousTransfer),
            ShamirProtocol(),
        ])
    }
}
