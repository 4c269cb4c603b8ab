import Foundation

/// A one-line progress bar on standard error (standard output stays clean for JSON lines).
struct ProgressBar {
    let total: Int
    let quiet: Bool
    private var done = 0
    private let start = ContinuousClock.now

    init(total: Int, quiet: Bool) {
        self.total = total
        self.quiet = quiet || isatty(STDERR_FILENO) == 0
    }

    mutating func advance(by count: Int) {
        done += count
        guard !quiet else { return }
        let fraction = total == 0 ? 1 : Double(done) / Double(total)
        let filled = Int(fraction * 30)
        let rate = Double(done) / max((ContinuousClock.now - start).seconds, 1e-6)
        let line = String(format: "\r[%@%@] %d/%d  %.1f pairs/s", String(repeating: "#", count: filled),
                          String(repeating: ".", count: 30 - filled), done, total, rate)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func finish() {
        guard !quiet else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
