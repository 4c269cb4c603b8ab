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
