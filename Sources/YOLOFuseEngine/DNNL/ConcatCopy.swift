/// Concatenation as row copies: every input contributes `chunkBytes` to each of `rows` output rows.
/// In NHWC a channel concat is one row per pixel; in plain layouts one row per index before the axis.
/// oneDNN's generic concat copies element by element for these shapes; this copies runs.
struct ConcatCopy {
    /// Bytes each input adds to a row, in input order.
    let chunkBytes: [Int]
    let rows: Int
    /// Where each input's rows start and how far apart they are: a channel range of a wider NHWC tensor (a
    /// split half that is only ever concatenated) is read in place instead of being copied out first.
    var sourceOffsets: [Int]
    var sourceRowBytes: [Int]

    init(chunkBytes: [Int], rows: Int, sourceOffsets: [Int]? = nil, sourceRowBytes: [Int]? = nil) {
        self.chunkBytes = chunkBytes
        self.rows = rows
        self.sourceOffsets = sourceOffsets ?? chunkBytes.map { _ in 0 }
        self.sourceRowBytes = sourceRowBytes ?? chunkBytes
    }

    var rowBytes: Int { chunkBytes.reduce(0, +) }

    /// Copies with the whole team when there is enough to move to pay for the hand-off.
    func run(sources: [UnsafeRawPointer], destination: UnsafeMutableRawPointer) {
        guard rows * rowBytes >= 1 << 18 else { copyRows(0..<rows, sources: sources, destination: destination); return }
        OpenMPTeam.parallel { thread, threadCount in
            copyRows(rows * thread / threadCount..<rows * (thread + 1) / threadCount, sources: sources, destination: destination)
        }
    }

    private func copyRows(_ range: Range<Int>, sources: [UnsafeRawPointer], destination: UnsafeMutableRawPointer) {
        let rowBytes = rowBytes
        let count = chunkBytes.count
        guard chunkBytes.allSatisfy({ $0 % 4 == 0 && $0 <= 512 }) else {
            var column = 0
            for (index, chunk) in chunkBytes.enumerated() {
                let source = sources[index] + sourceOffsets[index], stride = sourceRowBytes[index]
                for row in range {
                    (destination + row * rowBytes + column).copyMemory(from: source + row * stride, byteCount: chunk)
                }
                column += chunk
            }
            return
        }
        // Short runs (a pixel's channels in NHWC): each output row is written front to back from every input
        // before the next, so its cache lines are filled once instead of once per input (the output of a
        // C2f concatenation at 160x160 is larger than L2), and plain float loops beat memcpy calls.
        withUnsafeTemporaryAllocation(of: (source: UnsafePointer<Float>, stride: Int, floats: Int).self, capacity: count) { plan in
            for index in 0..<count {
                plan[index] = ((sources[index] + sourceOffsets[index]).assumingMemoryBound(to: Float.self),
                               sourceRowBytes[index] / 4, chunkBytes[index] / 4)
            }
            for row in range {
                var to = (destination + row * rowBytes).assumingMemoryBound(to: Float.self)
                for index in 0..<count {
                    let (source, stride, floats) = plan[index]
                    let from = source + row * stride
                    for k in 0..<floats { to[k] = from[k] }
                    to += floats
                }
            }
        }
    }
}
