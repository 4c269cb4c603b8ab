public import Foundation
public import YOLOFuseONNX

/// Loads models onto one shared set of engine threads.
public final class Engine: Sendable {
    public struct Configuration: Sendable {
        public var backend: BackendKind
        /// Cores the engine uses in all.
        public var threads: Int
        /// Runs a batch of large images as one image per core, all cores busy at once, instead of one
        /// whole-batch run over all cores: faster there (no synchronisation inside layers, activations stay in
        /// cache). Valid for models whose images do not interact, which detectors are; outputs are checked to
        /// carry the batch first. Small images always run as a whole batch (see `Session.worthSplitting`).
        public var splitBatches: Bool
        /// Compiled input-shape plans each session keeps.
        public var plansPerSession: Int

        public init(backend: BackendKind = .onednn, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                    splitBatches: Bool = true, plansPerSession: Int = 8) {
            self.backend = backend
            self.threads = threads
            self.splitBatches = splitBatches
            self.plansPerSession = plansPerSession
        }
    }

    public let configuration: Configuration
    public let executor: ComputeExecutor

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        executor = ComputeExecutor(cores: configuration.threads)
    }

    /// Loads a model file, checks every node, and (unless `warmUpBatches` is empty) compiles and runs plans for
    /// those batch sizes at the model's nominal image size, so the first request is as fast as any.
    public func load(contentsOf url: URL, warmUpBatches: [Int] = [1]) async throws -> Session {
        let model = try await executor.run { try ModelLoader.load(contentsOf: url) }
        return try await load(model, warmUpBatches: warmUpBatches)
    }

    public func load(_ model: Model, warmUpBatches: [Int] = [1]) async throws -> Session {
        let session = try Session(model: model, backend: configuration.backend, executor: executor,
                                  maxPlans: configuration.plansPerSession, splitBatches: configuration.splitBatches)
        try await session.prepare(warmUpBatches.map { session.inputShapes(batch: $0) })
        return session
    }
}
