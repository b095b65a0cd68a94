import Foundation

/// Plots drawn on the server as SVG markup: no script, no outside resource, and nothing but
/// what the page already states in its tables.
enum Charts {
    static let phaseColours: [(String, String)] = [
        ("completed", "#2e7d32"), ("failed", "#c62828"), ("rejected", "#757575"), ("running", "#1565c0"), ("awaiting approval", "#f9a825"),
    ]

    /// Jobs proposed per day (per hour when they span less than two days), stacked by outcome.
    static func jobsOverTime(_ jobs: [(Date, String)]) -> String {
        guard let first = jobs.map(\.0).min(), let last = jobs.map(\.0).max() else {
            return "<p class=\"muted\">No jobs on the ledger yet.</p>"
        }
        let hourly = last.timeIntervalSince(first) < 2 * 86400
        let step: TimeInterval = hourly ? 3600 : 86400
        let start = (first.timeIntervalSince1970 / step).rounded(.down) * step
        let binCount = min(60, Int(((last.timeIntervalSince1970 - start) / step).rounded(.down)) + 1)
        var bins = [[String: Int]](repeating: [:], count: binCount)
        for (t, group) in jobs {
            let i = min(binCount - 1, max(0, Int((t.timeIntervalSince1970 - start) / step)))
            bins[i][group, default: 0] += 1
        }
        let top = max(1, bins.map { $0.values.reduce(0, +) }.max() ?? 1)
        let w = 640.0, h = 180.0, left = 36.0, bottom = 28.0, plotW = w - left - 8, plotH = h - bottom - 10
        let barW = plotW / Double(binCount)
        var svg = "<svg class=\"chart\" id=\"jobs-chart\" role=\"img\" viewBox=\"0 0 \(Int(w)) \(Int(h + 22))\" width=\"\(Int(w))\" height=\"\(Int(h + 22))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>Jobs proposed per \(hourly ? "hour" : "day"), by outcome</title>"
        svg += axis(left: left, top: 10, plotH: plotH, plotW: plotW, maxValue: Double(top), integer: true)
        for (i, bin) in bins.enumerated() {
            var y = 10 + plotH
            for (group, colour) in phaseColours {
                guard let n = bin[group], n > 0 else { continue }
                let bh = plotH * Double(n) / Double(top)
                y -= bh
                svg += "<rect x=\"\(f(left + Double(i) * barW + 1))\" y=\"\(f(y))\" width=\"\(f(max(1, barW - 2)))\" height=\"\(f(bh))\" fill=\"\(colour)\"><title>\(n) \(esc(group))</title></rect>"
            }
        }
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX")
        fmt.timeZone = TimeZone(identifier: "UTC")
        fmt.dateFormat = hourly ? "HH:00" : "MM-dd"
        for i in Swift.stride(from: 0, to: binCount, by: max(1, binCount / 6)) {
            let t = Date(timeIntervalSince1970: start + Double(i) * step)
            svg += "<text x=\"\(f(left + (Double(i) + 0.5) * barW))\" y=\"\(f(h - 10))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">\(fmt.string(from: t))</text>"
        }
        var lx = left
        for (group, colour) in phaseColours {
            svg += "<rect x=\"\(f(lx))\" y=\"\(f(h + 6))\" width=\"10\" height=\"10\" fill=\"\(colour)\"/><text x=\"\(f(lx + 14))\" y=\"\(f(h + 15))\" font-size=\"11\" fill=\"#333\">\(group)</text>"
            lx += 22 + Double(group.count) * 6.5
        }
        return svg + "</svg>"
    }

    /// A histogram of non-negative amounts (the claims job's payouts at a recipient): the zeros
    /// as a bar of their own, the rest in `bins` equal ranges up to the largest.
    static func histogram(_ values: [Double], bins binCount: Int = 20, label: String, id: String) -> String {
        let zeros = values.filter { $0 == 0 }.count
        let positive = values.filter { $0 > 0 }
        let maxValue = positive.max() ?? 1
        var bins = [Int](repeating: 0, count: binCount)
        for v in positive { bins[min(binCount - 1, Int(v / maxValue * Double(binCount)))] += 1 }
        let counts = [zeros] + bins
        let top = max(1, counts.max() ?? 1)
        let w = 640.0, h = 200.0, left = 48.0, bottom = 36.0, plotW = w - left - 8, plotH = h - bottom - 10
        let barW = plotW / Double(counts.count)
        var svg = "<svg class=\"chart\" id=\"\(esc(id))\" role=\"img\" viewBox=\"0 0 \(Int(w)) \(Int(h))\" width=\"\(Int(w))\" height=\"\(Int(h))\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<title>\(esc(label)): \(values.count) values</title>"
        svg += axis(left: left, top: 10, plotH: plotH, plotW: plotW, maxValue: Double(top), integer: true)
        for (i, n) in counts.enumerated() where n > 0 {
            let bh = plotH * Double(n) / Double(top)
            let range = i == 0 ? "0" : "\(money(maxValue * Double(i - 1) / Double(binCount)))–\(money(maxValue * Double(i) / Double(binCount)))"
            svg += "<rect x=\"\(f(left + Double(i) * barW + 1))\" y=\"\(f(10 + plotH - bh))\" width=\"\(f(max(1, barW - 2)))\" height=\"\(f(bh))\" fill=\"\(i == 0 ? "#9e9e9e" : "#1565c0")\"><title>\(n) at \(range)</title></rect>"
        }
        svg += "<text x=\"\(f(left + barW / 2))\" y=\"\(f(h - bottom + 14))\" font-size=\"11\" text-anchor=\"middle\" fill=\"#444\">0</text>"
        svg += "<text x=\"\(f(w - 8))\" y=\"\(f(h - bottom + 14))\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">\(money(maxValue))</text>"
        svg += "<text x=\"\(f(left + plotW / 2))\" y=\"\(f(h - 6))\" font-size=\"12\" text-anchor=\"middle\" fill=\"#333\">\(esc(label))</text>"
        return svg + "</svg>"
    }

    private static func axis(left: Double, top: Double, plotH: Double, plotW: Double, maxValue: Double, integer: Bool) -> String {
        var s = "<line x1=\"\(f(left))\" y1=\"\(f(top))\" x2=\"\(f(left))\" y2=\"\(f(top + plotH))\" stroke=\"#888\"/>"
        s += "<line x1=\"\(f(left))\" y1=\"\(f(top + plotH))\" x2=\"\(f(left + plotW))\" y2=\"\(f(top + plotH))\" stroke=\"#888\"/>"
        for k in 0...2 {
            let v = maxValue * Double(k) / 2
            let y = top + plotH - plotH * Double(k) / 2
            s += "<text x=\"\(f(left - 4))\" y=\"\(f(y + 4))\" font-size=\"11\" text-anchor=\"end\" fill=\"#444\">\(integer ? String(Int(v.rounded())) : f(v))</text>"
        }
        return s
    }

    private static func f(_ x: Double) -> String { String(format: "%.1f", x) }
    private static func money(_ x: Double) -> String { x >= 10000 ? String(format: "%.0fk", x / 1000) : String(format: "%.0f", x) }
}
