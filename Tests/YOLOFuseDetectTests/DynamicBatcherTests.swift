import Foundation
import Testing
import YOLOFuseDetect
import YOLOFuseVision

@Suite struct DynamicBatcherTests {
    /// At the model's own size batches run one at a time; at 512, where images run one per core, up to one
    /// batch per core runs at once (and lone requests take every core).
    @Test(arguments: [nil, 512])
    func concurrentRequestsGetTheirOwnResults(imageSize: Int?) async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine, imageSize: imageSize)
        let batcher = DynamicBatcher(detector: detector, configuration: .init(maxBatchSize: 4, maxQueueDelay: .milliseconds(20), maxQueueLength: 16))
        #expect(batcher.configuration.maxConcurrentBatches == (imageSize == nil ? 1 : Support.engine.executor.cores))
        let rgb = try ImageCodec.read(Support.fixture("pairs/scene_rgb.jpg")), ir = try ImageCodec.read(Support.fixture("pairs/scene_ir.jpg"))
        // Six different requests: flipped images and their own thresholds.
        let inputs = (0..<6).map { index in
            index % 2 == 0 ? DetectionInput(rgb: rgb, ir: ir)
                : DetectionInput(rgb: Image(width: rgb.width, height: rgb.height, format: .rgb, pixels: rgb.pixels.reversed()), ir: ir)
        }
        let options = (0..<6).map { DetectionOptions(confidence: 0.3 + 0.05 * Double($0)) }
        var expected: [DetectionResult] = []
        for (input, option) in zip(inputs, options) { expected.append(try await detector.detect(input, options: option)) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await batcher.run() }
            let results = try await withThrowingTaskGroup(of: (Int, DetectionResult).self) { requests in
                for index in 0..<6 {
                    requests.addTask { (index, try await batcher.detect(inputs[index], options: options[index])) }
                }
                var collected = [DetectionResult?](repeating: nil, count: 6)
                for try await (index, result) in requests { collected[index] = result }
                return collected.map { $0! }
            }
            for (result, reference) in zip(results, expected) {
                #expect(result.detections.count == reference.detections.count)
                for (a, b) in zip(result.detections, reference.detections) {
                    #expect(a.classId == b.classId && abs(a.score - b.score) < 1e-4 && a.box.iou(b.box) > 0.999)
                }
            }
            batcher.shutdown()
            try await group.waitForAll()
        }
        // After shutdown nothing is taken.
        await #expect(throws: DynamicBatcher.ShutDown.self) { _ = try await batcher.detect(inputs[0], options: options[0]) }
    }

    @Test func aCancelledRequestIsDroppedBeforeInference() async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine)
        // A long queue delay keeps the request waiting long enough to be cancelled.
        let batcher = DynamicBatcher(detector: detector, configuration: .init(maxBatchSize: 8, maxQueueDelay: .seconds(30), maxQueueLength: 4))
        let rgb = try ImageCodec.read(Support.fixture("pairs/scene_rgb.jpg")), ir = try ImageCodec.read(Support.fixture("pairs/scene_ir.jpg"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await batcher.run() }
            let request = Task { try await batcher.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions()) }
            try await Task.sleep(for: .milliseconds(50))
            request.cancel()
            await #expect(throws: CancellationError.self) { _ = try await request.value }
            batcher.shutdown()
            try await group.waitForAll()
        }
    }
}
