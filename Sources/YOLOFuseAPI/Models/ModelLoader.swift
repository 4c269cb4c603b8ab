import Foundation
import YOLOFuseDetect
import YOLOFuseEngine

/// Loads models for serving: each on the shared engine, validated (its manifest agrees with the graph),
/// warmed up, and given a dynamic batcher that reports to the service's metrics.
struct ModelLoader: Sendable {
    /// Where a model comes from and what responses call it.
    struct Source: Sendable {
        let url: URL
        let label: String
    }

    let engine: Engine
    let batching: BatcherStateMachine<Int>.Configuration
    let metrics: ServiceMetrics

    func load(_ source: Source, key: String, imageSize: Int? = nil) async throws -> ResidentModel {
        let detector = try await Detector.load(source.url, engine: engine, imageSize: imageSize)
        let fileBytes = (try? FileManager.default.attributesOfItem(atPath: source.url.path)[.size] as? Int) ?? 0
        let batcher = DynamicBatcher(detector: detector, configuration: batching,
                                     onBatch: { [metrics] images, duration in metrics.recordInference(duration, images: images) },
                                     onQueueChange: { [metrics] in metrics.queueChanged(by: $0) })
        return ResidentModel(key: key, label: source.label, detector: detector, batcher: batcher,
                             estimatedBytes: Self.estimate(detector.manifest, fileBytes: fileBytes))
    }

    /// Weights are held about twice (file order and packed), plus one batch-1 activation arena.
    private static func estimate(_ manifest: ModelManifest, fileBytes: Int) -> Int {
        2 * fileBytes + manifest.inputWidth * manifest.inputHeight * 4 * 48
    }
}
