/// Works on several items at once and hands the results over in the items' order: while a model run holds a
/// core, the next pairs are read and decoded, and their runs start as soon as a core is free.
public enum InOrderPipeline {
    /// Reads items one at a time with `next` (a video decoder, say) until it returns nil, runs `work` on at most
    /// `inFlight` of them at once, and calls `consume` with each result in the order the items were read.
    public static func run<Item: Sendable, Output: Sendable>(
        inFlight: Int, next: () async throws -> Item?, work: @escaping @Sendable (Item) async throws -> Output,
        consume: (Item, Output) async throws -> Void
    ) async throws {
        try await withThrowingTaskGroup(of: (Int, Item, Output).self) { group in
            var read = 0, consumed = 0, running = 0, exhausted = false
            var finished: [Int: (Item, Output)] = [:]
            while true {
                while !exhausted && running < max(inFlight, 1) {
                    guard let item = try await next() else { exhausted = true; break }
                    let index = read
                    group.addTask { (index, item, try await work(item)) }
                    read += 1
                    running += 1
                }
                guard let (index, item, output) = try await group.next() else { break }
                running -= 1
                finished[index] = (item, output)
                while let (readyItem, readyOutput) = finished.removeValue(forKey: consumed) {
                    try await consume(readyItem, readyOutput)
                    consumed += 1
                }
            }
        }
    }

    /// The same over a list.
    public static func run<Item: Sendable, Output: Sendable>(
        _ items: [Item], inFlight: Int, work: @escaping @Sendable (Item) async throws -> Output,
        consume: (Item, Output) async throws -> Void
    ) async throws {
        var iterator = items.makeIterator()
        try await run(inFlight: inFlight, next: { iterator.next() }, work: work, consume: consume)
    }
}
