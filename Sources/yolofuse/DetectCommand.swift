import ArgumentParser
import Foundation
import YOLOFuseDetect
import YOLOFuseEngine
import YOLOFuseVision

/// Options every detection command shares.
struct DetectionFlags: ParsableArguments {
    @Option(help: "The ONNX model (default: the bundled default model).") var model: String?
    @Option(help: "Minimum class score (detect: 0.25; val: 0.001, for the whole precision-recall curve).") var conf: Double?
    @Option(help: "NMS IoU threshold (detect: 0.45; val: 0.7).") var iou: Double?
    @Option(help: "Only these class ids, comma-separated.") var classes: String?
    @Option(name: .customLong("max-det"), help: "Most detections per image.") var maxDetections: Int = 300
    @Option(help: "IR-to-RGB registration: 6 (affine) or 9 (homography) comma-separated numbers, row-major.")
    var registration: String?
    @Option(help: "A named camera pair whose registration is in --cameras.") var camera: String?
    @Option(help: "JSON file of named cameras and their registrations.") var cameras: String = "cameras.json"
    @Option(name: .customLong("model-ir"), help: "Decision-level fusion: an IR model to fuse with the RGB model given as --model.")
    var modelIR: String?
    @Option(help: "Decision-level fusion method: wbf or nms.") var fusion: String = "wbf"
    @Option(help: "Decision-level fusion weights, RGB,IR.") var weights: String = "1,1"
    @Flag(help: "Dynamic models: pad only to a multiple of the stride instead of a square input.") var rect = false
    @Option(help: "Dynamic models: the square input size (default: the model's own).") var imgsz: Int?
    @OptionGroup var engineOptions: EngineOptions

    /// Thresholds default per command: detection wants YOLOFuse's operating point (0.25, 0.45), evaluation the
    /// whole precision-recall curve (0.001, 0.7), as YOLO's val does.
    func options(evaluation: Bool = false) throws -> DetectionOptions {
        let classIds = try classes.map { text in
            try Set(text.split(separator: ",").map { part -> Int in
                guard let id = Int(part.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--classes: '\(part)' is not a class id") }
                return id
            })
        }
        if registration != nil && camera != nil { throw ValidationError("give --registration or --camera, not both") }
        var matrix = try registration.map { text in
            let values = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            do { return try Registration(values: values) } catch { throw ValidationError("--registration: \(error)") }
        }
        if let camera {
            do { matrix = try CameraRegistry(contentsOf: URL(fileURLWithPath: cameras)).registration(for: camera) } catch {
                throw ValidationError("--camera: \(error)")
            }
        }
        return DetectionOptions(confidence: conf ?? (evaluation ? 0.001 : 0.25), iou: iou ?? (evaluation ? 0.7 : 0.45),
                                classes: classIds, maxDetections: maxDetections, registration: matrix)
    }

    func loadDetector(evaluation: Bool = false) async throws -> (any PairDetector, DetectionOptions, engine: Engine) {
        let engine = try engineOptions.makeEngine()
        let url = try model.map { URL(fileURLWithPath: $0) } ?? DefaultModel.locate()
        let primary = try await Detector.load(url, engine: engine, rectangularInputs: rect, imageSize: imgsz)
        let options = try options(evaluation: evaluation)
        try options.validate(classCount: primary.manifest.classCount)
        guard let modelIR else { return (primary, options, engine) }
        guard let method = DecisionFusionDetector.Method(rawValue: fusion) else { throw ValidationError("--fusion must be wbf or nms") }
        let parts = weights.split(separator: ",").compactMap { Double($0) }
        guard parts.count == 2 else { throw ValidationError("--weights takes two numbers, RGB,IR") }
        let secondary = try await Detector.load(URL(fileURLWithPath: modelIR), engine: engine, rectangularInputs: rect, imageSize: imgsz)
        do {
            return (try DecisionFusionDetector(rgb: primary, ir: secondary, method: method, weights: (parts[0], parts[1])), options, engine)
        } catch { throw ValidationError("\(error)") }
    }
}

/// What a detector needs of a pair: RGB, IR or both.
extension PairDetector {
    var needsRGB: Bool { (self as? Detector).map { $0.manifest.modality != .ir } ?? true }
    var needsIR: Bool { (self as? Detector).map { $0.manifest.modality != .rgb } ?? true }
}

struct DetectCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detect",
        abstract: "Detect objects in an RGB+IR pair, or in every pair of a dataset folder.",
        discussion: """
        One pair:   yolofuse detect --rgb a.jpg --ir b.jpg [--out annotated.jpg] [--json]
        A folder:   yolofuse detect --source DIR (images/ and imagesIR/, paired by file name) [--save-labels OUT]
        Videos:     yolofuse detect --rgb-video a.mp4 --ir-video b.mp4 [--stride N] [--out annotated.mp4] [--json]
        Single-modality models take only --rgb or only --ir.
        """
    )

    @OptionGroup var flags: DetectionFlags
    @Option(help: "The visible-light image.") var rgb: String?
    @Option(help: "The thermal image (8-bit gray or RGB).") var ir: String?
    @Option(help: "A dataset folder with images/ and imagesIR/.") var source: String?
    @Option(help: "Write the annotated image (one pair) as JPEG here.") var out: String?
    @Flag(name: .customLong("side-by-side"), help: "Put the IR view beside the annotated RGB image.") var sideBySide = false
    @Flag(help: "Print results as JSON (one pair: one object; a folder: one line per pair).") var json = false
    @Option(name: .customLong("save-labels"), help: "Folder mode: write YOLO label files (with scores) here.") var saveLabels: String?
    @Option(help: "Folder mode: pairs per model run.") var batch: Int = 1
    @Option(name: .customLong("rgb-video"), help: "The visible-light video.") var rgbVideo: String?
    @Option(name: .customLong("ir-video"), help: "The thermal video of the same scene.") var irVideo: String?
    @Option(help: "Video mode: detect on every N-th RGB frame.") var stride: Int = 1

    func validate() throws {
        if (rgbVideo == nil) != (irVideo == nil) { throw ValidationError("video mode needs both --rgb-video and --ir-video") }
        if rgbVideo != nil && (source != nil || rgb != nil || ir != nil) { throw ValidationError("--rgb-video/--ir-video cannot be combined with images") }
        if rgbVideo != nil { if stride < 1 { throw ValidationError("--stride must be at least 1") }; return }
        if source == nil && rgb == nil && ir == nil { throw ValidationError("give --rgb and/or --ir, --source DIR, or --rgb-video and --ir-video") }
        if source != nil && (rgb != nil || ir != nil) { throw ValidationError("--source cannot be combined with --rgb/--ir") }
        if batch < 1 || batch > 32 { throw ValidationError("--batch must be between 1 and 32") }
    }

    func run() async throws {
        let (detector, options, engine) = try await flags.loadDetector()
        if let source {
            try await runFolder(URL(fileURLWithPath: source), detector: detector, options: options)
            return
        }
        if let rgbVideo, let irVideo {
            try await VideoDetection(rgbPath: rgbVideo, irPath: irVideo, stride: stride, output: out, sideBySide: sideBySide, json: json)
                .run(detector: detector, options: options, executor: engine.executor)
            return
        }
        let files = try [rgb, ir].map { path in try path.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } }
        let result = try await detectEncoded(detector, [EncodedPair(rgb: files[0], ir: files[1], rgbName: rgb ?? "rgb", irName: ir ?? "ir")], options: options)[0]
        if let out {
            let irImage = try ir.map { try ImageCodec.read(URL(fileURLWithPath: $0)) }
            let base = try rgb.map { try ImageCodec.read(URL(fileURLWithPath: $0)) } ?? irImage!.toRGB()
            let irView = sideBySide ? irImage : nil
            try ImageCodec.encodeJPEG(Annotator.annotate(base, with: result.detections, ir: irView), quality: 90)
                .write(to: URL(fileURLWithPath: out))
        }
        if json {
            print(try ResultJSON.encode(result, model: flags.model ?? "default"))
        } else {
            for d in result.detections {
                print(String(format: "%@ %.3f  [%.1f, %.1f, %.1f, %.1f]", d.className, d.score, d.box.x1, d.box.y1, d.box.x2, d.box.y2))
            }
            let t = result.timings
            print(String(format: "%d detections; decode %.1f ms, preprocess %.1f ms, inference %.1f ms, postprocess %.1f ms",
                         result.detections.count, t.decodeMs, t.preprocessMs, t.inferenceMs, t.postprocessMs))
        }
    }

    private func runFolder(_ root: URL, detector: any PairDetector, options: DetectionOptions) async throws {
        let dataset = try PairedDataset(root: root)
        if let saveLabels { try FileManager.default.createDirectory(atPath: saveLabels, withIntermediateDirectories: true) }
        let needsRGB = detector.needsRGB, needsIR = detector.needsIR
        let chunks = Swift.stride(from: 0, to: dataset.pairs.count, by: batch).map { Array(dataset.pairs[$0..<min($0 + batch, dataset.pairs.count)]) }
        let schedule = PairSchedule(detector: detector, batch: batch)
        var progress = ProgressBar(total: dataset.pairs.count, quiet: json)
        let started = ContinuousClock.now
        try await InOrderPipeline.run(chunks, inFlight: schedule.inFlight, work: { chunk in
            let encoded = try chunk.map { pair -> EncodedPair in
                guard !needsIR || pair.ir != nil else { throw ValidationError("\(pair.name): no IR image in imagesIR/") }
                return EncodedPair(rgb: needsRGB ? try Data(contentsOf: pair.rgb) : nil, ir: needsIR ? try Data(contentsOf: pair.ir!) : nil,
                                   rgbName: pair.rgb.path, irName: pair.ir?.path ?? "ir")
            }
            return try await detectEncoded(detector, encoded, options: options, threads: schedule.threads)
        }, consume: { chunk, results in
            for (pair, result) in zip(chunk, results) {
                if json { print(try ResultJSON.encode(result, model: flags.model ?? "default", name: pair.name)) }
                if let saveLabels {
                    try PairedDataset.labelLines(result.detections, withScores: true)
                        .write(toFile: (saveLabels as NSString).appendingPathComponent(pair.name + ".txt"), atomically: true, encoding: .utf8)
                }
            }
            progress.advance(by: chunk.count)
        })
        progress.finish()
        let seconds = (ContinuousClock.now - started).seconds
        FileHandle.standardError.write(Data(String(format: "%d pairs in %.2f s (%.1f pairs/s)\n", dataset.pairs.count, seconds,
                                                   Double(dataset.pairs.count) / max(seconds, 1e-9)).utf8))
    }
}

/// Detects on encoded pairs: a single model decodes at the scale it needs; decision-level fusion decodes fully.
func detectEncoded(_ detector: any PairDetector, _ pairs: [EncodedPair], options: DetectionOptions, threads: Int? = nil) async throws -> [DetectionResult] {
    if let single = detector as? Detector { return try await single.detect(pairs, options: options, threads: threads) }
    let start = ContinuousClock.now
    let inputs = try pairs.map { pair in
        DetectionInput(rgb: try pair.rgb.map { try ImageCodec.decode($0, name: pair.rgbName) },
                       ir: try pair.ir.map { try ImageCodec.decode($0, name: pair.irName) })
    }
    let decodeMs = (ContinuousClock.now - start).seconds * 1000 / Double(max(pairs.count, 1))
    return try await detector.detect(inputs, options: options).map { result in
        var timed = result
        timed.timings.decodeMs = decodeMs
        return timed
    }
}
