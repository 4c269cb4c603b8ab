import Foundation
import Testing
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVision

@Suite("Detector end to end")
struct DetectorTests {
    let rgbPath = Support.fixture("pairs/scene_rgb.jpg")
    let irPath = Support.fixture("pairs/scene_ir.jpg")

    func reference(_ model: String, conf: Double) throws -> [(classId: Int, score: Double, box: BoundingBox)] {
        let data = try Support.python("reference_detect.py", [Support.fixture("models/\(model)").path, "--rgb", rgbPath.path,
                                                              "--ir", irPath.path, "--conf", String(conf)])
        let object = try JSONSerialization.jsonObject(with: data) as! [String: [[Double]]]
        return object["detections"]!.map { ($0[0].rounded() == $0[0] ? Int($0[0]) : -1, $0[1], BoundingBox(x1: $0[2], y1: $0[3], x2: $0[4], y2: $0[5])) }
    }

    @Test(arguments: ["mid_t_op12_static.onnx", "mid_t_2in_op18_dyn.onnx", "early_t_op18_dyn.onnx"])
    func boxesAgreeWithAnIndependentPipelineWithinOnePixel(model: String) async throws {
        let detector = try await Detector.load(Support.fixture("models/\(model)"), engine: Support.engine)
        let rgb = try ImageCodec.read(rgbPath), ir = try ImageCodec.read(irPath)
        let conf = 0.5
        let ours = try await detector.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(confidence: conf))
        let theirs = try reference(model, conf: conf)
        #expect(ours.imageWidth == 800 && ours.imageHeight == 600)
        #expect(!theirs.isEmpty)
        // Borderline scores may fall either side of the threshold; everything clearly above it must match.
        let margin = 0.01
        let clearOurs = ours.detections.filter { $0.score > conf + margin }
        let clearTheirs = theirs.filter { $0.score > conf + margin }
        #expect(clearOurs.count == clearTheirs.count)
        func distance(_ a: BoundingBox, _ b: BoundingBox) -> Double {
            [abs(a.x1 - b.x1), abs(a.y1 - b.y1), abs(a.x2 - b.x2), abs(a.y2 - b.y2)].max()!
        }
        for expected in clearTheirs {
            // Nearest by corners (boxes clipped flat against the border have no area, so no IoU to match by).
            let match = ours.detections.filter { $0.classId == expected.classId }.min { distance($0.box, expected.box) < distance($1.box, expected.box) }
            let found = try #require(match, "no detection of class \(expected.classId) near \(expected.box)")
            #expect(distance(found.box, expected.box) <= 1, "box off by \(distance(found.box, expected.box)) px")
            #expect(abs(found.score - expected.score) < 2e-3)
        }
        #expect(ours.timings.inferenceMs > 0 && ours.timings.preprocessMs > 0)
    }

    /// At the model's own small size a batch is one model run; at 512 each image runs on its own core.
    @Test(arguments: [nil, 512])
    func batchesGiveWhatSinglePairsGive(imageSize: Int?) async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine, imageSize: imageSize)
        #expect(detector.runsImagePerCore == (imageSize != nil))
        let rgb = try ImageCodec.read(rgbPath), ir = try ImageCodec.read(irPath)
        let flipped = Image(width: rgb.width, height: rgb.height, format: .rgb, pixels: Array(rgb.pixels.reversed()))
        let pairs = [DetectionInput(rgb: rgb, ir: ir), DetectionInput(rgb: flipped, ir: ir), DetectionInput(rgb: rgb, ir: ir)]
        let together = try await detector.detect(pairs)
        let first = try await detector.detect(pairs[0]), second = try await detector.detect(pairs[1])
        #expect(together.count == 3)
        #expect(together[0].detections == first.detections)
        #expect(together[1].detections == second.detections)
        #expect(together[2].detections == first.detections)
        #expect(first.detections != second.detections)
        // A bad pair fails the whole batch, named by its place.
        await #expect { _ = try await detector.detect([pairs[0], DetectionInput(rgb: rgb, ir: nil)]) } throws: {
            "\($0)".contains("pair 1") && ($0 as? DetectionError)?.field == "ir"
        }
    }

    @Test func wrongModalityAndOptionsAreNamed() async throws {
        let fusion = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine)
        let single = try await Detector.load(Support.fixture("models/yolov8_t_op18_dyn.onnx"), engine: Support.engine)
        let rgb = try ImageCodec.read(rgbPath), ir = try ImageCodec.read(irPath)
        await #expect { _ = try await fusion.detect(DetectionInput(rgb: rgb, ir: nil)) } throws: { ($0 as? DetectionError)?.field == "ir" }
        await #expect { _ = try await single.detect(DetectionInput(rgb: rgb, ir: ir)) } throws: { ($0 as? DetectionError)?.field == "ir" }
        await #expect { _ = try await fusion.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(confidence: 2)) } throws: {
            ($0 as? DetectionError)?.field == "conf"
        }
        await #expect { _ = try await fusion.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(classes: [7])) } throws: {
            ($0 as? DetectionError)?.field == "classes"
        }
        let narrow = Image(width: 300, height: 600, format: .gray)
        await #expect { _ = try await fusion.detect(DetectionInput(rgb: rgb, ir: narrow)) } throws: { "\($0)".contains("300x600") }
        // The class filter and the detection cap hold.
        let filtered = try await fusion.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(confidence: 0.05, classes: [1], maxDetections: 3))
        #expect(filtered.detections.count <= 3 && filtered.detections.allSatisfy { $0.classId == 1 })
        let none = try await fusion.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(maxDetections: 0))
        #expect(none.detections.isEmpty)
    }

    @Test func manifestComesFromMetadataAndContradictionsAreErrors() async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine)
        #expect(detector.manifest.classNames == ["person", "car", "bicycle"])
        #expect(detector.manifest.modality == .rgbIR && detector.manifest.inputLayout == .stacked)
        #expect(detector.manifest.fusion == "mid" && detector.manifest.dynamicSize)
        // A sidecar that claims 3 channels for the 6-channel model is refused.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("manifest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("m.onnx")
        try FileManager.default.copyItem(at: Support.fixture("models/mid_t_op18_dyn.onnx"), to: model)
        try Data(#"{"channels": 3}"#.utf8).write(to: directory.appendingPathComponent("m.json"))
        await #expect { _ = try await Detector.load(model, engine: Support.engine, warmUpBatches: []) } throws: { "\($0)".contains("3 channels") }
        // Two names for a model whose output has 4 + 3 rows is refused too.
        try Data(#"{"names": ["a", "b"]}"#.utf8).write(to: directory.appendingPathComponent("m.json"))
        await #expect { _ = try await Detector.load(model, engine: Support.engine, warmUpBatches: []) } throws: {
            "\($0)".contains("names 2 classes, the model outputs 3")
        }
        // Names in a sidecar replace the metadata's.
        try Data(#"{"names": ["walker", "vehicle", "cycle"], "imgsz": [256, 320]}"#.utf8).write(to: directory.appendingPathComponent("m.json"))
        let renamed = try await Detector.load(model, engine: Support.engine, warmUpBatches: [])
        #expect(renamed.manifest.classNames == ["walker", "vehicle", "cycle"])
        #expect(renamed.manifest.inputHeight == 256 && renamed.manifest.inputWidth == 320)
    }

    @Test func annotationDrawsBoxesAndLabels() async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine)
        let rgb = try ImageCodec.read(rgbPath), ir = try ImageCodec.read(irPath)
        let result = try await detector.detect(DetectionInput(rgb: rgb, ir: ir))
        try #require(!result.detections.isEmpty)
        let annotated = Annotator.annotate(rgb, with: result.detections)
        #expect(annotated.width == rgb.width && annotated.height == rgb.height)
        #expect(annotated.pixels != rgb.pixels)
        let beside = Annotator.annotate(rgb, with: result.detections, ir: ir)
        #expect(beside.width == rgb.width * 2 && beside.height == rgb.height)
        #expect(try ImageCodec.decode(try ImageCodec.encodeJPEG(beside), name: "a.jpg").width == beside.width)
    }

    @Test func encodedLargeFramesAreDecodedSmallerAndReportedInFullPixels() async throws {
        let detector = try await Detector.load(Support.fixture("models/mid_t_op18_dyn.onnx"), engine: Support.engine)
        let rgb = try ImageCodec.read(rgbPath), ir = try ImageCodec.read(irPath)
        // The scene at 4x its size: DCT scaling decodes it at 1/4 (800x600 still covers the 320 input).
        let large = rgb.resized(width: 3200, height: 2400)
        let encoded = EncodedPair(rgb: try ImageCodec.encodeJPEG(large, quality: 95), ir: try Data(contentsOf: irPath))
        let result = try await detector.detect([encoded], options: DetectionOptions(confidence: 0.5))[0]
        #expect(result.imageWidth == 3200 && result.imageHeight == 2400)
        #expect(result.timings.decodeMs > 0)
        let reference = try await detector.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(confidence: 0.5))
        try #require(!reference.detections.isEmpty)
        // Boxes land where the 800x600 frame's boxes land, times 4 (allowing for the two JPEG generations and the
        // DCT-scaled decode, which averages where a plain resize samples).
        for expected in reference.detections where expected.score > 0.6 {
            let scaled = BoundingBox(x1: expected.box.x1 * 4, y1: expected.box.y1 * 4, x2: expected.box.x2 * 4, y2: expected.box.y2 * 4)
            #expect(result.detections.contains { $0.classId == expected.classId && $0.box.iou(scaled) > 0.7 })
        }
    }

    @Test func theBundledDefaultModelFindsTheLabelledSample() async throws {
        // Eight labelled pairs of the held-out test split, two per condition (day, night, fog, glare).
        let model = Support.repositoryRoot.appendingPathComponent("Models/default/model.onnx")
        let detector = try await Detector.load(model, engine: Support.engine)
        #expect(detector.manifest.classNames == ["person", "car", "bicycle"] && detector.manifest.modality == .rgbIR)
        let dataset = try PairedDataset(root: Support.fixture("sample"))
        #expect(dataset.pairs.count == 8)
        var metric = MeanAveragePrecision()
        for pair in dataset.pairs {
            let rgb = try ImageCodec.read(pair.rgb), ir = try ImageCodec.read(try #require(pair.ir))
            let result = try await detector.detect(DetectionInput(rgb: rgb, ir: ir), options: DetectionOptions(confidence: 0.001, iou: 0.7))
            metric.add(truth: try PairedDataset.readLabels(try #require(pair.labels), width: rgb.width, height: rgb.height), predictions: result.detections)
        }
        let summary = metric.summary()
        // The model scores 0.801 mAP50 on the whole test split at its 480 px (0.837 on these eight); a broken pipeline scores near 0.
        #expect(summary.map50 > 0.5, "mAP50 \(summary.map50)")
    }
}
