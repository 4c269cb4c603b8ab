public import YOLOFuseVision

/// Anything that turns image pairs into detections: one model, or two fused at the decision level.
public protocol PairDetector: Sendable {
    var classNames: [String] { get }
    func detect(_ inputs: [DetectionInput], options: DetectionOptions) async throws -> [DetectionResult]
}

extension Detector: PairDetector {
    public var classNames: [String] { manifest.classNames }
}

/// Decision-level fusion: an RGB model and an IR model (say, ones a customer already has) run on their own
/// images and their boxes are merged, by weighted box fusion or by NMS across both.
public final class DecisionFusionDetector: PairDetector {
    public enum Method: String, Sendable, CaseIterable {
        /// Overlapping boxes of one class are averaged, weighted by score and model weight.
        case weightedBoxFusion = "wbf"
        /// The boxes of both models go through one class-aware NMS.
        case nms
    }

    public let rgb: Detector
    public let ir: Detector
    public let method: Method
    public let weights: (rgb: Double, ir: Double)
    /// IoU at which boxes of the two models count as the same object.
    public let fusionIoU: Double

    public init(rgb: Detector, ir: Detector, method: Method = .weightedBoxFusion, weights: (rgb: Double, ir: Double) = (1, 1), fusionIoU: Double = 0.55) throws {
        guard rgb.manifest.modality == .rgb, ir.manifest.modality == .ir || ir.manifest.modality == .rgb else {
            throw DetectionError("decision-level fusion takes an RGB model and an IR (single-modality) model")
        }
        guard rgb.manifest.classNames == ir.manifest.classNames else {
            throw DetectionError("the two models name different classes: \(rgb.manifest.classNames) and \(ir.manifest.classNames)")
        }
        guard weights.rgb > 0, weights.ir > 0 else { throw DetectionError(field: "weights", "must be positive") }
        self.rgb = rgb
        self.ir = ir
        self.method = method
        self.weights = weights
        self.fusionIoU = fusionIoU
    }

    public var classNames: [String] { rgb.manifest.classNames }

    public func detect(_ inputs: [DetectionInput], options: DetectionOptions) async throws -> [DetectionResult] {
        for (index, input) in inputs.enumerated() where input.rgb == nil || input.ir == nil {
            throw DetectionError(field: input.rgb == nil ? "rgb" : "ir", "pair \(index): decision-level fusion needs both images")
        }
        // The IR model sees the IR frame brought onto the RGB frame, so both sets of boxes share coordinates.
        let aligned = try inputs.map { input in
            do { return try ImagePair.align(rgb: input.rgb!, ir: input.ir!, registration: options.registration) } catch let error as ImageError {
                throw DetectionError(field: "ir", error.description)
            }
        }
        var perModel = options
        perModel.registration = nil
        // Both models keep more boxes than the final cut, so fusion has something to work with.
        perModel.maxDetections = max(options.maxDetections, 300)
        async let fromRGB = rgb.detect(inputs.map { DetectionInput(rgb: $0.rgb, ir: nil) }, options: perModel)
        let irInputs = aligned.map { frame in
            ir.manifest.modality == .ir ? DetectionInput(rgb: nil, ir: frame) : DetectionInput(rgb: frame.toRGB(), ir: nil)
        }
        async let fromIR = ir.detect(irInputs, options: perModel)
        let (a, b) = try await (fromRGB, fromIR)
        return zip(a, b).map { first, second in
            let fused = fuse(first.detections, second.detections, width: Double(first.imageWidth), height: Double(first.imageHeight), options: options)
            let timings = StageTimings(decodeMs: first.timings.decodeMs + second.timings.decodeMs,
                                       preprocessMs: first.timings.preprocessMs + second.timings.preprocessMs,
                                       inferenceMs: first.timings.inferenceMs + second.timings.inferenceMs,
                                       postprocessMs: first.timings.postprocessMs + second.timings.postprocessMs)
            return DetectionResult(imageWidth: first.imageWidth, imageHeight: first.imageHeight, detections: fused, timings: timings)
        }
    }

    func fuse(_ a: [Detection], _ b: [Detection], width: Double, height: Double, options: DetectionOptions) -> [Detection] {
        let tagged = a.map { ($0, 0) } + b.map { ($0, 1) }
        let fused: [Detection]
        switch method {
        case .nms:
            let kept = NonMaximumSuppression.apply(tagged.map { .init(box: $0.0.box, score: $0.0.score, classId: $0.0.classId) },
                                                   iouThreshold: options.iou, maxDetections: options.maxDetections)
            fused = kept.map { makeDetection(classId: $0.classId, score: $0.score, box: $0.box, width: width, height: height) }
        case .weightedBoxFusion:
            fused = WeightedBoxFusion.fuse(tagged.map { (box: $0.0.box, score: $0.0.score, classId: $0.0.classId, model: $0.1) },
                                           modelWeights: [weights.rgb, weights.ir], iouThreshold: fusionIoU)
                .filter { $0.score >= options.confidence }
                .prefix(options.maxDetections)
                .map { makeDetection(classId: $0.classId, score: $0.score, box: $0.box, width: width, height: height) }
        }
        return fused
    }

    private func makeDetection(classId: Int, score: Double, box: BoundingBox, width: Double, height: Double) -> Detection {
        Detection(classId: classId, className: classId < classNames.count ? classNames[classId] : "class\(classId)", score: score,
                  box: box, normalized: BoundingBox(x1: box.x1 / width, y1: box.y1 / height, x2: box.x2 / width, y2: box.y2 / height))
    }
}

/// Weighted box fusion (Solovyev et al.): boxes of one class are clustered greedily by IoU with the cluster's
/// running fused box; the fused box is the score-weighted mean of its members; its score is the weighted sum of
/// each model's best member score over the sum of all model weights, so a box one model alone sees scores lower.
public enum WeightedBoxFusion {
    public static func fuse(_ boxes: [(box: BoundingBox, score: Double, classId: Int, model: Int)], modelWeights: [Double],
                            iouThreshold: Double) -> [(box: BoundingBox, score: Double, classId: Int)] {
        let totalWeight = modelWeights.reduce(0, +)
        var results: [(box: BoundingBox, score: Double, classId: Int)] = []
        for classId in Set(boxes.map(\.classId)).sorted() {
            let ordered = boxes.filter { $0.classId == classId }.sorted { $0.score * modelWeights[$0.model] > $1.score * modelWeights[$1.model] }
            var clusters: [(fused: BoundingBox, members: [(box: BoundingBox, score: Double, model: Int)])] = []
            for item in ordered {
                let weighted = item.score * modelWeights[item.model]
                if let index = clusters.indices.max(by: { clusters[$0].fused.iou(item.box) < clusters[$1].fused.iou(item.box) }),
                   clusters[index].fused.iou(item.box) > iouThreshold {
                    clusters[index].members.append((item.box, weighted, item.model))
                    clusters[index].fused = weightedMean(clusters[index].members)
                } else {
                    clusters.append((item.box, [(item.box, weighted, item.model)]))
                }
            }
            for cluster in clusters {
                var best: [Int: Double] = [:]
                for member in cluster.members { best[member.model] = max(best[member.model] ?? 0, member.score) }
                results.append((cluster.fused, best.values.reduce(0, +) / totalWeight, classId))
            }
        }
        return results.sorted { $0.score > $1.score }
    }

    static func weightedMean(_ members: [(box: BoundingBox, score: Double, model: Int)]) -> BoundingBox {
        let total = members.reduce(0) { $0 + $1.score }
        func mean(_ value: (BoundingBox) -> Double) -> Double { members.reduce(0) { $0 + value($1.box) * $1.score } / total }
        return BoundingBox(x1: mean(\.x1), y1: mean(\.y1), x2: mean(\.x2), y2: mean(\.y2))
    }
}
