import TacitClaims
import TacitJob
import TacitNet

/// The generator's CSV (no quoting) as the approved inputs a node would hand the job.
enum Inputs {
    static func parse(_ bytes: [UInt8], party: PartyID, dataset: String, decimals: [String: Int]) -> DatasetInput {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines[0].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var columns = header.map { name in
            DatasetInput.Column(
                declaration: decimals[name].map { ColumnDeclaration(name: name, type: .decimal, fractionDigits: $0) }
                    ?? ColumnDeclaration(name: name, type: .identifier),
                values: [])
        }
        for line in lines.dropFirst() {
            for (i, cell) in line.split(separator: ",", omittingEmptySubsequences: false).enumerated() { columns[i].values.append(String(cell)) }
        }
        return DatasetInput(jobID: "simulation", party: party, dataset: dataset, columns: columns)
    }

    static func bills(_ bytes: [UInt8], party: PartyID = "hospital") -> DatasetInput {
        parse(bytes, party: party, dataset: "bills", decimals: ["amount": 2])
    }

    static func policies(_ bytes: [UInt8], party: PartyID = "insurer", categories: [String] = Claims.defaultCategories) -> DatasetInput {
        var d = ["deductible": 2, "annual_cap": 2, "paid_this_year": 2]
        for c in categories { d["rate_" + c] = 4 }
        return parse(bytes, party: party, dataset: "policies", decimals: d)
    }

    /// CSV text from rows, for hand-made cases.
    static func csv(_ rows: [[String]]) -> [UInt8] { Array(rows.map { $0.joined(separator: ",") }.joined(separator: "\n").utf8) + [10] }
}
