import Foundation
import YOLOFuseDetect
import YOLOFuseEngine

/// The models resident in this process: the default, pinned, and tenants' versions loaded on first use and
/// evicted least-recently-used when their estimated memory passes the budget. A model is never evicted while a
/// request holds a lease on it, so a swap or an eviction drops no request in flight.
actor ModelRegistry {
    private struct Entry {
        let model: ResidentModel
        var leases: Int
        var lastUsed: UInt64
    }

    let loader: ModelLoader
    private let budgetBytes: Int
    private let onResidentCount: @Sendable (Int) -> Void
    private var entries: [String: Entry] = [:]
    private var loading: [String: Task<ResidentModel, any Error>] = [:]
    private var tick: UInt64 = 0
    /// Deleted versions still leased: unloaded when their last lease ends.
    private var doomed: Set<String> = []
    private let pinnedKey = "default"

    init(loader: ModelLoader, budgetBytes: Int, onResidentCount: @escaping @Sendable (Int) -> Void) {
        self.loader = loader
        self.budgetBytes = budgetBytes
        self.onResidentCount = onResidentCount
    }

    /// Leases `key`, loading it from `source` first if it is not resident; the caller must `release` it.
    func lease(_ key: String, source: @escaping @Sendable () async throws -> ModelLoader.Source) async throws -> ResidentModel {
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
            let loader = loader
            task = Task { try await loader.load(try await source(), key: key) }
            loading[key] = task
        }
        // A caller cancelled at its deadline stops waiting; the load goes on and the next caller picks it up.
        let result: Result<ResidentModel, any Error>
        do {
            result = .success(try await task.valueUnlessCancelled())
        } catch {
            if error is CancellationError && Task.isCancelled { throw error }
            result = .failure(error)
        }
        // Only the load this caller waited on is cleared; a newer one for the same key stays.
        if loading[key] == task { loading[key] = nil }
        let model = try result.get()
        // Evicted between its load and this caller's turn: load it again.
        if model.isStopped && entries[key] == nil { return try await lease(key, source: source) }
        if entries[key] == nil {
            entries[key] = Entry(model: model, leases: 0, lastUsed: 0)
        } else if entries[key]!.model !== model {
            // Installed meanwhile (an upload's own load): this copy is a duplicate.
            await model.stop()
        }
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
        if entry.leases == 0 && doomed.contains(model.key) { return await remove(model.key) }
        await evictOverBudget()
    }

    /// Drops a model (its version was deleted); requests holding it finish first.
    func remove(_ key: String) async {
        guard let entry = entries[key] else { return }
        guard entry.leases == 0 else {
            doomed.insert(key)
            return
        }
        doomed.remove(key)
        entries[key] = nil
        onResidentCount(entries.count)
        await entry.model.stop()
    }

    /// The manifest of a resident model; nil when it is not loaded (nothing is loaded to answer).
    func manifest(_ key: String) -> ModelManifest? { entries[key]?.model.detector.manifest }
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
