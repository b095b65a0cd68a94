import Testing
import TacitMath

@Test func bigIntArithmeticSmoke() throws {
    let a = try BigInt(parsing: "123456789012345678901234567890")
    #expect((a * a).description == "15241578753238836750495351562536198787501905199875019052100")
}
