import Testing
@testable import TacitLedger
@Test func placeholder() {}
