import Foundation
import TacitMath

func fixtureURL(_ name: String) -> URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/\(name)")
}

func big(_ text: String) -> BigInt {
    do { return try BigInt(parsing: text) } catch { fatalError("bad test literal: \(error)") }
}
