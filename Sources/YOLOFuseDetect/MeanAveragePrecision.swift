public import YOLOFuseVision

/// Detection accuracy as COCO computes it: per class, predictions matched greedily by score to unmatched
/// ground truth of IoU >= t, precision made monotone, then averaged at 101 recall points; mAP50 at t = 0.5,
/// mAP50-95 over t = 0.50, 0.55, ..., 0.95. Precision and recall are reported at the confidence of best F1.
public struct MeanAveragePrecision: Sendable {
    public struct Truth: Sendable {
        public var classId: Int
        public var box: BoundingBox
        public init(classId: Int, box: BoundingBox) { self.classId = classId; self.box = box }
    }

    public struct ClassResult: Sendable, Codable, Equatable {
        public var classId: Int
        public var instances: Int
        public var precision: Double
        public var recall: Double
        public var map50: Double
        public var map50to95: Double
    }

    public struct Summary: Sendable, Codable, Equatable {
        public var images: Int
        public var instances: Int
        public var precision: Double
        public var recall: Double
        public var map50: Double
        public var map50to95: Double
        public var classes: [ClassResult]
    }

    static let thresholds = (0..<10).map { 0.5 + 0.05 * Double($0) }

    private var predictions: [Int: [(score: Double, image: Int, box: BoundingBox)]] = [:]
    private var truths: [Int: [Int: [BoundingBox]]] = [:]  // class -> image -> boxes
    private var images = 0

    public init() {}

    /// Adds one image's ground truth and predictions (in the same pixel space).
    public mutating func add(truth: [Truth], predictions found: [Detection]) {
        let image = images
        images += 1
        for item in truth { truths[item.classId, default: [:]][image, default: []].append(item.box) }
        for detection in found { predictions[detection.classId, default: []].append((detection.score, image, detection.box)) }
    }

    public func summary() -> Summary {
        let classIds = Set(truths.keys).union(predictions.keys).sorted()
        var results: [ClassResult] = []
        for classId in classIds {
            let groundTruth = truths[classId] ?? [:]
            let total = groundTruth.values.reduce(0) { $0 + $1.count }
            guard total > 0 else { continue }  // COCO leaves classes without ground truth out of the mean
            let ranked = (predictions[classId] ?? []).enumerated().sorted {
                $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset
            }.map(\.element)
            var aps: [Double] = []
            var precisionAtBest = 0.0, recallAtBest = 0.0
            for (t, threshold) in Self.thresholds.enumerated() {
                var used: [Int: [Bool]] = groundTruth.mapValues { [Bool](repeating: false, count: $0.count) }
                var truePositives = 0, falsePositives = 0
                var precision: [Double] = [], recall: [Double] = []
                for prediction in ranked {
                    var best = -1, bestIoU = threshold
                    for (index, box) in (groundTruth[prediction.image] ?? []).enumerated() where !used[prediction.image]![index] {
                        let iou = box.iou(prediction.box)
                        if iou >= bestIoU { bestIoU = iou; best = index }
                    }
                    if best >= 0 { used[prediction.image]![best] = true; truePositives += 1 } else { falsePositives += 1 }
                    precision.append(Double(truePositives) / Double(truePositives + falsePositives))
                    recall.append(Double(truePositives) / Double(total))
                }
                aps.append(Self.averagePrecision(precision: precision, recall: recall))
                if t == 0 {
                    // Operating point of best F1 at IoU 0.5.
                    var bestF1 = -1.0
                    for (p, r) in zip(precision, recall) where p + r > 0 {
                        let f1 = 2 * p * r / (p + r)
                        if f1 > bestF1 { bestF1 = f1; precisionAtBest = p; recallAtBest = r }
                    }
                }
            }
            results.append(ClassResult(classId: classId, instances: total, precision: precisionAtBest, recall: recallAtBest,
                                       map50: aps[0], map50to95: aps.reduce(0, +) / Double(aps.count)))
        }
        func mean(_ values: [Double]) -> Double { values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count) }
        return Summary(images: images, instances: results.reduce(0) { $0 + $1.instances },
                       precision: mean(results.map(\.precision)), recall: mean(results.map(\.recall)),
                       map50: mean(results.map(\.map50)), map50to95: mean(results.map(\.map50to95)), classes: results)
    }

    /// COCO's 101-point interpolated average precision.
    static func averagePrecision(precision: [Double], recall: [Double]) -> Double {
        guard !precision.isEmpty else { return 0 }
        var envelope = precision
        for i in stride(from: envelope.count - 2, through: 0, by: -1) { envelope[i] = max(envelope[i], envelope[i + 1]) }
        var sum = 0.0
        var index = 0
        for step in 0...100 {
            let level = Double(step) / 100
            while index < recall.count && recall[index] < level { index += 1 }
            if index < recall.count { sum += envelope[index] }
        }
        return sum / 101
    }
}
