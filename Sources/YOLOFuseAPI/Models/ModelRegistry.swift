import Foundation
import YOLOFuseDetect
import YOLOFuseEngine

/// A loaded model and its dynamic batcher.
final class ResidentModel: Sendable {
    /// "default" or a model version id.
    let key: String
    /// What responses name in X-Model-Version: "default" or "NAME-vN".
    let label: String
    let detector: Detector
    let batcher: DynamicBatcher
    let estimatedBytes: Int
    private let runner: Task<Void, Never>

    init(key: String, label: String, detector: Detector, batcher: DynamicBatcher, estimatedBytes: Int) {
        self.key = key
        self.label = label
        self.detector = detector
        self.batcher = batcher
        self.estimatedBytes = estimatedBytes
        runner = Task { await batcher.run() }
    }

    /// Stops the batcher once nothing holds the model; returns when its loop has ended.
    func stop() async {
        batcher.shutdown()
        await runner.value
    }
}

/// The models resident in this process: the default, pinned, and tenants' versions loaded on first use and
/// evicted least-recently-used when their estimated memory passes the budget. A model is never evicted while a
/// request holds a lease on it, so a swap or an eviction drops no request in flight.
actor ModelRegistry {
    struct Source: Sendable {
        let url: URL
        let label: String
    }

    private struct Entry {
        let model: ResidentModel
        var leases: Int
        var lastUsed: UInt64
    }

    private let engine: Engine
    private let batching: BatcherStateMachine<Int>.Configuration
    private let budgetBytes: Int
    private let onBatch: @Sendable (Int, Duration) -> Void
    private let onResidentCount: @Sendable (Int) -> Void
    private var entries: [String: Entry] = [:]
    private var loading: [String: Task<ResidentModel, any Error>] = [:]
    private var tick: UInt64 = 0
    private let pinnedKey = "default"

    init(engine: Engine, batching: BatcherStateMachine<Int>.Configuration, budgetBytes: Int,
         onBatch: @escaping @Sendable (Int, Duration) -> Void, onResidentCount: @escaping @Sendable (Int) -> Void) {
        self.engine = engine
        self.batching = batching
        self.budgetBytes = budgetBytes
        self.onBatch = onBatch
        self.onResidentCount = onResidentCount
    }

    /// Loads a model, validates it (its manifest agrees with the graph) and warms it up; nothing is kept resident.
    static func load(_ source: Source, key: String, engine: Engine, batching: BatcherStateMachine<Int>.Configuration,
                     imageSize: Int? = nil, onBatch: @escaping @Sendable (Int, Duration) -> Void) async throws -> ResidentModel {
        let detector = try await Detector.load(source.url, engine: engine, imageSize: imageSize)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: source.url.path)[.size] as? Int) ?? 0
        return ResidentModel(key: key, label: source.label, detector: detector,
                             batcher: DynamicBatcher(detector: detector, configuration: batching, onBatch: onBatch),
                             estimatedBytes: Self.estimate(detector, fileBytes: fileBytes))
    }

    /// Weights are held about twice (file order and packed), plus one batch-1 activation arena.
    private static func estimate(_ detector: Detector, fileBytes: Int) -> Int {
        let manifest = detector.manifest
        let pixels = manifest.inputWidth * manifest.inputHeight
        return 2 * fileBytes + pixels * 4 * 48
    }

    /// Holds `key` resident (loading it from `source` if needed) for the duration of `body`.
    func lease(_ key: String, source: @escaping @Sendable () async throws -> Source) async throws -> ResidentModel {
        if var entry = entries[key] {
            tick += 1
            entry.leases += 1
            entry.lastUsed = tick
            entries[key] = entry
            return entry.model
        }
        let task: Task<ResidentModel, any Error>
        if let running = loading[key] {
            task = running
        } else {
            let engine = engine, batching = batching, onBatch = onBatch
            task = Task { try await Self.load(try await source(), key: key, engine: engine, batching: batching, onBatch: onBatch) }
            loading[key] = task
        }
        let model: ResidentModel
        do {
            model = try await task.value
        } catch {
            loading[key] = nil
            throw error
        }
        loading[key] = nil
        // Another caller may have installed it while this one waited.
        if entries[key] == nil { entries[key] = Entry(model: model, leases: 0, lastUsed: 0) }
        return try await lease(key, source: source)
    }

    /// Installs an already loaded model (an upload that was just validated), evicting as needed.
    func install(_ model: ResidentModel) async {
        // Keys are version ids, so a second install of one key is a duplicate load: keep the first.
        guard entries[model.key] == nil else { return await model.stop() }
        tick += 1
        entries[model.key] = Entry(model: model, leases: 0, lastUsed: tick)
        await evictOverBudget()
    }

    func release(_ model: ResidentModel) async {
        guard var entry = entries[model.key], entry.model === model else { return }
        entry.leases -= 1
        entries[model.key] = entry
        await evictOverBudget()
    }

    /// Drops a model (its version was deleted); requests holding it finish first.
    func remove(_ key: String) async {
        guard let entry = entries[key], entry.leases == 0 else { return }
        entries[key] = nil
        onResidentCount(entries.count)
        await entry.model.stop()
    }

    var residentKeys: Set<String> { Set(entries.keys) }
    var residentBytes: Int { entries.values.reduce(0) { $0 + $1.model.estimatedBytes } }

    private func evictOverBudget() async {
        while residentBytes > budgetBytes,
              let victim = entries.filter({ $0.key != pinnedKey && $0.value.leases == 0 }).min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            entries[victim.key] = nil
            await victim.value.model.stop()
        }
        onResidentCount(entries.count)
    }

    /// Stops every batcher (graceful shutdown): running batches finish.
    func shutdown() async {
        let models = entries.values.map(\.model)
        entries = [:]
        for model in models { await model.stop() }
    }
}
