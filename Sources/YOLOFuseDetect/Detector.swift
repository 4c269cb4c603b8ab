public import Foundation
public import YOLOFuseEngine
import YOLOFuseTensor
import YOLOFuseONNX
public import YOLOFuseVision

/// A pair of images (or one image for single-modality models) to detect on.
public struct DetectionInput: Sendable {
    public var rgb: Image?
    public var ir: Image?

    public init(rgb: Image?, ir: Image?) {
        self.rgb = rgb
        self.ir = ir
    }
}

/// Preprocess -> infer -> postprocess for one model, exactly as the model was trained: letterbox, /255, the
/// model's channel layout; then the head decoded, NMS, boxes mapped back to the original RGB pixels.
public final class Detector: Sendable {
    public let session: Session
    public let manifest: ModelManifest
    /// For dynamic-size models: pad only to a multiple of the stride (less work on wide frames; results differ
    /// slightly from square inputs). Off by default, matching how YOLO runs ONNX models.
    public let rectangularInputs: Bool
    let executor: ComputeExecutor

    public init(session: Session, manifest: ModelManifest, executor: ComputeExecutor, rectangularInputs: Bool = false) {
        self.session = session
        self.manifest = manifest
        self.executor = executor
        self.rectangularInputs = rectangularInputs
    }

    /// Loads a model and its manifest (metadata_props, or MODEL.json beside it) and warms it up.
    /// - Parameter imageSize: for dynamic-size models, the square input size to use instead of the manifest's.
    public static func load(_ url: URL, engine: Engine, warmUpBatches: [Int] = [1], rectangularInputs: Bool = false,
                            imageSize: Int? = nil) async throws -> Detector {
        let session = try await engine.load(contentsOf: url, warmUpBatches: [])
        let sidecar = url.deletingPathExtension().appendingPathExtension("json")
        var manifest = try ModelManifest.resolve(for: session, sidecar: sidecar)
        if let imageSize {
            guard manifest.dynamicSize || (manifest.inputWidth, manifest.inputHeight) == (imageSize, imageSize) else {
                throw DetectionError(field: "imgsz", "the model's input is fixed at \(manifest.inputWidth)x\(manifest.inputHeight)")
            }
            guard imageSize > 0, imageSize % manifest.stride == 0 else {
                throw DetectionError(field: "imgsz", "must be a positive multiple of the stride \(manifest.stride), got \(imageSize)")
            }
            manifest.inputWidth = imageSize
            manifest.inputHeight = imageSize
        }
        try await session.prepare(warmUpBatches.map { session.inputShapes(batch: $0, height: manifest.inputHeight, width: manifest.inputWidth) })
        return Detector(session: session, manifest: manifest, executor: engine.executor, rectangularInputs: rectangularInputs)
    }

    /// Detects on a batch of inputs in one model run.
    public func detect(_ inputs: [DetectionInput], options: DetectionOptions = DetectionOptions()) async throws -> [DetectionResult] {
        try await detect(inputs, eachWith: inputs.map { _ in options })
    }

    /// Detects on a batch in one model run, each input with its own options (what the dynamic batcher runs:
    /// requests from different callers with their own thresholds and registrations).
    /// - Parameter threads: cores for the model run (see `Session.run`).
    public func detect(_ inputs: [DetectionInput], eachWith optionList: [DetectionOptions], threads: Int? = nil) async throws -> [DetectionResult] {
        guard !inputs.isEmpty else { return [] }
        precondition(optionList.count == inputs.count, "one options value per input")
        for options in optionList { try options.validate(classCount: manifest.classCount) }
        if inputs.count > 1 && runsImagePerCore { return try await detectImageByImage(inputs, eachWith: optionList) }
        if threads == 1 {
            // One core throughout: letterbox, model run and head decoding as one job, with no hand-offs between them.
            return try await executor.run(threads: 1) { [self] in
                let start = ContinuousClock.now
                var prepared = try preprocess(inputs, optionList: optionList)
                for job in prepared.renderJobs { job() }
                prepared.milliseconds = (ContinuousClock.now - start).milliseconds
                let inferenceStart = ContinuousClock.now
                let outputs = try session.runInCurrentJob(prepared.feeds)
                return try postprocess(outputs, prepared, optionList: optionList, inferenceMs: (ContinuousClock.now - inferenceStart).milliseconds)
            }
        }
        let start = ContinuousClock.now
        var prepared = try preprocess(inputs, optionList: optionList)
        // Each image is letterboxed by its own single-core job (RGB and IR of a pair on two cores at once).
        try await withThrowingTaskGroup(of: Void.self) { group in
            for job in prepared.renderJobs { group.addTask { [executor] in try await executor.run(threads: 1, job) } }
            try await group.waitForAll()
        }
        prepared.milliseconds = (ContinuousClock.now - start).milliseconds
        let ready = prepared
        let inferenceStart = ContinuousClock.now
        let outputs = try await session.run(ready.feeds, threads: threads)
        let inferenceMs = (ContinuousClock.now - inferenceStart).milliseconds
        return try await executor.run(threads: 1) { [self] in try postprocess(outputs, ready, optionList: optionList, inferenceMs: inferenceMs) }
    }

    /// The head decoded per image (confidence, classes, NMS, boxes back through the letterbox), with the stage times.
    private func postprocess(_ outputs: [String: Tensor], _ prepared: Prepared, optionList: [DetectionOptions],
                             inferenceMs: Double) throws -> [DetectionResult] {
        let count = prepared.letterboxes.count
        guard let output = outputs[session.outputs[0].name], output.shape.rank == 3,
              output.shape.dims[0] == count, output.shape.dims[1] == 4 + manifest.classCount else {
            throw DetectionError("the model's output is not [N, 4 + \(manifest.classCount), anchors]")
        }
        let start = ContinuousClock.now
        var results = prepared.letterboxes.enumerated().map { index, letterbox in
            DetectionResult(imageWidth: letterbox.sourceWidth, imageHeight: letterbox.sourceHeight,
                            detections: DetectionHead.decode(output, image: index, letterbox: letterbox, classNames: manifest.classNames, options: optionList[index]),
                            timings: StageTimings())
        }
        // Batch-wide stages are shared out per image.
        let postprocessMs = (ContinuousClock.now - start).milliseconds / Double(count)
        for index in results.indices {
            results[index].timings = StageTimings(preprocessMs: prepared.milliseconds / Double(count),
                                                  inferenceMs: inferenceMs / Double(count), postprocessMs: postprocessMs)
        }
        return results
    }

    /// Whether the model's inputs are large enough to run fastest one image per core (see `Session`).
    public var runsImagePerCore: Bool {
        session.runsImagePerCore(height: manifest.inputHeight, width: manifest.inputWidth)
    }

    /// The cores the engine runs on.
    public var cores: Int { executor.cores }

    /// A batch of large inputs, each image on its own: its own input tensor (a batch-sized one, 80 MB for eight
    /// at 640, would be mapped and faulted in afresh for every batch), its own single-core run, and its results
    /// as soon as that run ends. The engine would split the batch into such runs anyway.
    private func detectImageByImage(_ inputs: [DetectionInput], eachWith optionList: [DetectionOptions]) async throws -> [DetectionResult] {
        _ = try pairedFrames(inputs, optionList: optionList)  // a bad pair fails the batch, naming the pair, before any run
        return try await withThrowingTaskGroup(of: (Int, DetectionResult).self) { group in
            for index in inputs.indices {
                group.addTask { (index, try await self.detect([inputs[index]], eachWith: [optionList[index]], threads: 1)[0]) }
            }
            var results = [DetectionResult?](repeating: nil, count: inputs.count)
            for try await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }

    public func detect(_ input: DetectionInput, options: DetectionOptions = DetectionOptions()) async throws -> DetectionResult {
        try await detect([input], options: options)[0]
    }

    /// The size every image of a batch is letterboxed to: the model's size, or for dynamic models the smallest
    /// stride-multiple box around the batch's letterboxes (less padding, less work).
    func inputSize(for frames: [(width: Int, height: Int)]) -> (width: Int, height: Int) {
        guard manifest.dynamicSize, rectangularInputs else { return (manifest.inputWidth, manifest.inputHeight) }
        var width = 0, height = 0
        for frame in frames {
            let box = Letterbox(sourceWidth: frame.width, sourceHeight: frame.height, targetWidth: manifest.inputWidth,
                                targetHeight: manifest.inputHeight, minimalPadding: true, stride: manifest.stride)
            width = max(width, box.width)
            height = max(height, box.height)
        }
        return (width, height)
    }

    struct Prepared: Sendable {
        var feeds: [String: Tensor]
        var letterboxes: [Letterbox]
        /// Writes of the images into `feeds`, each into its own planes; run them, in any order, before inference.
        var renderJobs: [@Sendable () -> Void]
        var milliseconds: Double = 0
    }

    /// Every input checked against the model's modality (and the pair's aspect ratios) before any work starts;
    /// the frame boxes are measured on the RGB frame.
    func pairedFrames(_ inputs: [DetectionInput], optionList: [DetectionOptions]) throws -> [(rgb: Image?, ir: Image?)] {
        try inputs.enumerated().map { index, input in
            let label = inputs.count > 1 ? "pair \(index): " : ""
            switch manifest.modality {
            case .rgbIR:
                guard let rgb = input.rgb, let ir = input.ir else {
                    throw DetectionError(field: input.rgb == nil ? "rgb" : "ir", "\(label)this model fuses RGB and IR and needs both images")
                }
                // IR is letterboxed straight from its own resolution (through the registration when there is one).
                if optionList[index].registration == nil {
                    do { try ImagePair.checkAspect(rgb: rgb, ir: ir) } catch let error as ImageError {
                        throw DetectionError(field: "ir", label + error.description)
                    }
                }
                return (rgb, ir)
            case .rgb:
                guard let rgb = input.rgb else { throw DetectionError(field: "rgb", "\(label)this model takes an RGB image") }
                if input.ir != nil { throw DetectionError(field: "ir", "\(label)this model is RGB-only; send no IR image") }
                return (rgb, nil)
            case .ir:
                guard let ir = input.ir else { throw DetectionError(field: "ir", "\(label)this model takes an IR image") }
                if input.rgb != nil { throw DetectionError(field: "rgb", "\(label)this model is IR-only; send no RGB image") }
                return (nil, ir)
            }
        }
    }

    /// Checks and pairs the inputs and lays out the model's input tensors; the pixel work is returned as jobs.
    func preprocess(_ inputs: [DetectionInput], optionList: [DetectionOptions]) throws -> Prepared {
        let frames = try pairedFrames(inputs, optionList: optionList)
        let sizes = frames.map { frame in frame.rgb.map { ($0.width, $0.height) } ?? (frame.ir!.width, frame.ir!.height) }
        let (width, height) = inputSize(for: sizes)
        let plane = width * height
        let batch = inputs.count
        var letterboxes: [Letterbox] = []
        var feeds: [String: Tensor] = [:]
        var jobs: [@Sendable () -> Void] = []
        // Every plane is written in full by the letterbox (image and padding), so the tensors start uninitialised.
        switch manifest.inputLayout {
        case .stacked, .single:
            let channels = manifest.inputLayout == .stacked ? 6 : 3
            let tensor = Tensor(uninitialized: .float32, shape: Shape([batch, channels, height, width]))
            for (index, frame) in frames.enumerated() {
                let base = index * channels * plane
                let source = frame.rgb ?? frame.ir!
                let box = Letterbox(sourceWidth: source.width, sourceHeight: source.height, targetWidth: width, targetHeight: height)
                letterboxes.append(box)
                if let rgb = frame.rgb { jobs.append { box.render(rgb, into: tensor.floatPointer() + base) } }
                if let ir = frame.ir {
                    let offset = base + (frame.rgb == nil ? 0 : 3 * plane), through = frame.rgb == nil ? nil : optionList[index].registration
                    jobs.append { renderIR(ir, box: box, registration: through, into: tensor.floatPointer() + offset) }
                }
            }
            feeds[session.inputs[0].name] = tensor
        case .separate:
            let rgbTensor = Tensor(uninitialized: .float32, shape: Shape([batch, 3, height, width]))
            let irTensor = Tensor(uninitialized: .float32, shape: Shape([batch, 3, height, width]))
            for (index, frame) in frames.enumerated() {
                let rgb = frame.rgb!, ir = frame.ir!
                let box = Letterbox(sourceWidth: rgb.width, sourceHeight: rgb.height, targetWidth: width, targetHeight: height)
                letterboxes.append(box)
                jobs.append { box.render(rgb, into: rgbTensor.floatPointer() + index * 3 * plane) }
                let registration = optionList[index].registration
                jobs.append { renderIR(ir, box: box, registration: registration, into: irTensor.floatPointer() + index * 3 * plane) }
            }
            feeds = ["rgb": rgbTensor, "ir": irTensor]
        }
        return Prepared(feeds: feeds, letterboxes: letterboxes, renderJobs: jobs)
    }
}

private func renderIR(_ ir: Image, box: Letterbox, registration: Registration?, into planes: UnsafeMutablePointer<Float>) {
    if let registration { box.render(ir, registration: registration, into: planes) } else { box.render(ir, into: planes) }
}

extension Duration {
    public var milliseconds: Double { Double(components.seconds) * 1000 + Double(components.attoseconds) / 1e15 }
}
