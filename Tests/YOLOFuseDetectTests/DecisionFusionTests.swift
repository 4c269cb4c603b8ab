import Testing
import YOLOFuseDetect
import YOLOFuseVision

@Suite struct DecisionFusionTests {
    let a = BoundingBox(x1: 0, y1: 0, x2: 100, y2: 100)
    let b = BoundingBox(x1: 10, y1: 10, x2: 110, y2: 110)

    @Test func overlappingBoxesOfTwoModelsBecomeOne() {
        let fused = WeightedBoxFusion.fuse([(a, 0.8, 0, 0), (b, 0.4, 0, 1)], modelWeights: [1, 1], iouThreshold: 0.55)
        #expect(fused.count == 1)
        // Coordinates weighted by score: (0 * 0.8 + 10 * 0.4) / 1.2.
        #expect(abs(fused[0].box.x1 - 10.0 / 3) < 1e-9)
        #expect(abs(fused[0].score - 0.6) < 1e-12)
    }

    @Test func aBoxOnlyOneModelSeesScoresByItsWeight() {
        let fused = WeightedBoxFusion.fuse([(a, 0.8, 0, 1)], modelWeights: [1, 3], iouThreshold: 0.55)
        #expect(abs(fused[0].score - 0.8 * 3 / 4) < 1e-12)
    }

    @Test func classesAndDistantBoxesStaySeparate() {
        let far = BoundingBox(x1: 500, y1: 500, x2: 600, y2: 600)
        let fused = WeightedBoxFusion.fuse([(a, 0.8, 0, 0), (a, 0.7, 1, 1), (far, 0.6, 0, 1)], modelWeights: [1, 1], iouThreshold: 0.55)
        #expect(fused.count == 3)
        #expect(fused.map(\.score) == fused.map(\.score).sorted(by: >))
    }

    @Test(arguments: [DecisionFusionDetector.Method.weightedBoxFusion, .nms])
    func twoCopiesOfOneModelAgreeWithTheModel(method: DecisionFusionDetector.Method) async throws {
        // The same RGB model on both sides, fed the same pixels: fusion must give back that model's boxes.
        let model = Support.fixture("models/yolov8_t_op18_dyn.onnx")
        let first = try await Detector.load(model, engine: Support.engine)
        let second = try await Detector.load(model, engine: Support.engine)
        let fusion = try DecisionFusionDetector(rgb: first, ir: second, method: method)
        let rgb = try ImageCodec.read(Support.fixture("pairs/scene_rgb.jpg"))
        let options = DetectionOptions(confidence: 0.4)
        let single = try await first.detect(DetectionInput(rgb: rgb, ir: nil), options: options)
        let fused = try await fusion.detect([DetectionInput(rgb: rgb, ir: rgb)], options: options)[0]
        try #require(!single.detections.isEmpty)
        // NMS runs in letterboxed coordinates, before boxes are clipped to the image, so a model's final boxes
        // may overlap each other by more than the threshold; those may merge on fusion. Every other box must come
        // back unchanged, and nothing may be invented.
        let threshold = method == .nms ? options.iou : fusion.fusionIoU
        let isolated = single.detections.filter { d in
            !single.detections.contains { $0.classId == d.classId && $0.box != d.box && $0.box.iou(d.box) > threshold }
        }
        #expect(isolated.count > 10)
        for detection in isolated {
            #expect(fused.detections.contains { $0.classId == detection.classId && $0.box.iou(detection.box) > 0.999 && abs($0.score - detection.score) < 1e-6 })
        }
        #expect(fused.detections.count <= single.detections.count && fused.detections.count >= isolated.count)
        for detection in fused.detections {
            #expect(single.detections.contains { $0.classId == detection.classId && $0.box.iou(detection.box) > 0.5 })
        }
        await #expect(throws: DetectionError.self) { _ = try await fusion.detect([DetectionInput(rgb: rgb, ir: nil)], options: options) }
    }
}
