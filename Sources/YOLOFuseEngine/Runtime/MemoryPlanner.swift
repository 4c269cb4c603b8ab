/// Places values with known lifetimes in one arena so that values alive at the same time never overlap.
/// Planned once per input shape; every run of the plan reuses the same offsets.
struct MemoryPlanner {
    struct Lifetime {
        let name: String
        let bytes: Int
        /// Step that writes the value, and the last step that reads it.
        let first: Int
        let last: Int
    }

    static let alignment = 64

    /// Returns each value's byte offset and the arena size.
    static func plan(_ lifetimes: [Lifetime]) -> (offsets: [String: Int], size: Int) {
        var free: [(offset: Int, size: Int)] = []
        var top = 0
        var offsets: [String: Int] = [:]
        let byFirst = Dictionary(grouping: lifetimes, by: \.first)
        let byLast = Dictionary(grouping: lifetimes, by: \.last)
        let lastStep = lifetimes.map { max($0.first, $0.last) }.max() ?? -1
        guard lastStep >= 0 else { return ([:], 0) }
        for step in 0...lastStep {
            // Largest first keeps big activations packed and small ones filling holes.
            for value in (byFirst[step] ?? []).sorted(by: { $0.bytes > $1.bytes }) {
                let size = (value.bytes + alignment - 1) / alignment * alignment
                if let index = free.indices.filter({ free[$0].size >= size }).min(by: { free[$0].size < free[$1].size }) {
                    offsets[value.name] = free[index].offset
                    if free[index].size == size { free.remove(at: index) } else {
                        free[index] = (free[index].offset + size, free[index].size - size)
                    }
                } else {
                    offsets[value.name] = top
                    top += size
                }
            }
            for value in byLast[step] ?? [] {
                let size = (value.bytes + alignment - 1) / alignment * alignment
                free.append((offsets[value.name]!, size))
                free.sort { $0.offset < $1.offset }
                var merged: [(offset: Int, size: Int)] = []
                for block in free {
                    if let last = merged.last, last.offset + last.size == block.offset {
                        merged[merged.count - 1].size += block.size
                    } else {
                        merged.append(block)
                    }
                }
                free = merged
            }
        }
        return (offsets, top)
    }
}
