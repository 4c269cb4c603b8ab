import Synchronization
import YOLOFuseDetect

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
    private let stopped = Mutex(false)

    /// Whether `stop()` has been called: such a model takes no more requests.
    var isStopped: Bool { stopped.withLock { $0 } }

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
        stopped.withLock { $0 = true }
        batcher.shutdown()
        await runner.value
    }
}
