// Dataset CSV files (TacitNode/Dataset.swift): an owner's data, often exported by another
// system; the node extracts and canonicalises only the approved columns.
// Input: one byte choosing the columns asked for, then the CSV text.
@testable import TacitNode
import FuzzSupport
import TacitJob

let declared: [ColumnDeclaration] = [
    ColumnDeclaration(name: "amount", type: .decimal, fractionDigits: 2),
    ColumnDeclaration(name: "age", type: .integer),
    ColumnDeclaration(name: "rate", type: .decimal, fractionDigits: 9),
    ColumnDeclaration(name: "score", type: .decimal, fractionDigits: 18),
]

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        let t = FuzzSeeds.text
        return [
            ("claims.csv", [0x0f] + t("id,amount,age,rate,score\n1,12.50,34,0.000000001,1.5\n2,-3.25,71,1,-0.000000000000000001\n")),
            ("quoted.csv", [0x01] + t("\"name, with comma\",amount\r\n\"a \"\"b\"\"\",100\r\n\"x\",\"7.1\"\n")),
            ("one-column.csv", [0x02] + t("age\n1\n2\n3\n")),
            ("empty-cells.csv", [0x03] + t("amount,age,note\n,,\n5,,\n")),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let mask = input.byte()
    var columns = declared.enumerated().filter { mask >> $0.offset & 1 == 1 }.map(\.element)
    if columns.isEmpty { columns = [declared[0]] }
    let text = String(decoding: input.rest, as: UTF8.self)
    _ = try? CSV.extract(text, columns: columns, file: "data.csv")
    return 0
}
