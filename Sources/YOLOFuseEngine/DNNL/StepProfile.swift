import Foundation

/// Per-run time by kind of step, printed to standard error when YOLOFUSE_PROFILE=1 (for tuning; off by default).
struct StepProfile {
    static let enabled = ProcessInfo.processInfo.environment["YOLOFUSE_PROFILE"] == "1"

    private var totals: [String: (count: Int, seconds: Double)] = [:]

    mutating func record(_ step: DNNLStep, elapsed: Duration) {
        let kind = step.kernelName
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        totals[kind, default: (0, 0)].count += 1
        totals[kind, default: (0, 0)].seconds += seconds
    }

    func report() {
        var lines = ["step profile (ms, count, kind):"]
        let total = totals.values.reduce(0) { $0 + $1.seconds }
        for (kind, value) in totals.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            lines.append(String(format: "%8.3f %4d %@", value.seconds * 1000, value.count, kind))
        }
        lines.append(String(format: "%8.3f total", total * 1000))
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}
