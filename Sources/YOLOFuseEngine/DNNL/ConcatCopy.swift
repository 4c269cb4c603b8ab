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
        var column = 0
        for (index, chunk) in chunkBytes.enumerated() {
            let source = sources[index] + sourceOffsets[index], stride = sourceRowBytes[index]
            if chunk % 4 == 0 && chunk <= 512 {
                // Short runs (a pixel's channels): a plain float loop the compiler vectorises beats memcpy calls.
                let floats = chunk / 4
                for row in range {
                    let from = (source + row * stride).assumingMemoryBound(to: Float.self)
                    let to = (destination + row * rowBytes + column).assumingMemoryBound(to: Float.self)
                    for k in 0..<floats { to[k] = from[k] }
                }
            } else {
                for row in range {
                    (destination + row * rowBytes + column).copyMemory(from: source + row * stride, byteCount: chunk)
                }
            }
            column += chunk
        }
    }
}
