public import Foundation
public import YOLOFuseONNX

/// Loads models onto one shared set of engine threads.
public final class Engine: Sendable {
    public struct Configuration: Sendable {
        public var backend: BackendKind
        /// Runs that execute at once, each on its own engine thread.
        public var concurrentRuns: Int
        /// Threads one run's kernels use.
        public var threadsPerRun: Int
        /// Compiled input-shape plans each session keeps.
        public var plansPerSession: Int

        public init(backend: BackendKind = .onednn, concurrentRuns: Int = 1,
                    threadsPerRun: Int = ProcessInfo.processInfo.activeProcessorCount, plansPerSession: Int = 8) {
            self.backend = backend
            self.concurrentRuns = concurrentRuns
            self.threadsPerRun = threadsPerRun
            self.plansPerSession = plansPerSession
        }
    }

    public let configuration: Configuration
    public let executor: ComputeExecutor

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        executor = ComputeExecutor(workerCount: configuration.concurrentRuns, threadsPerRun: configuration.threadsPerRun)
    }

    /// Loads a model file, checks every node, and (unless `warmUpBatches` is empty) compiles and runs plans for
    /// those batch sizes at the model's nominal image size, so the first request is as fast as any.
    public func load(contentsOf url: URL, warmUpBatches: [Int] = [1]) async throws -> Session {
        let model = try await executor.run { try ModelLoader.load(contentsOf: url) }
        return try await load(model, warmUpBatches: warmUpBatches)
    }

    public func load(_ model: Model, warmUpBatches: [Int] = [1]) async throws -> Session {
        let session = try Session(model: model, backend: configuration.backend, executor: executor,
                                  maxPlans: configuration.plansPerSession)
        try await session.prepare(warmUpBatches.map { session.inputShapes(batch: $0) })
        return session
    }
}
