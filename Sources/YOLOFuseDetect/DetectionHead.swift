import YOLOFuseTensor
public import YOLOFuseVision

/// Decodes YOLO's [N, 4 + classes, anchors] output (cx, cy, w, h in input pixels, then sigmoid class scores;
/// no objectness) into detections in original-image pixels.
enum DetectionHead {
    static func decode(_ output: Tensor, image index: Int, letterbox: Letterbox, classNames: [String], options: DetectionOptions) -> [Detection] {
        let rows = output.shape.dims[1], anchors = output.shape.dims[2]
        let classCount = rows - 4
        let base = output.floatPointer() + index * rows * anchors
        // The best allowed class per anchor (single label, as YOLO's NMS does by default), scanning class rows
        // in memory order with branch-free updates the compiler vectorises.
        let bestScore = UnsafeMutablePointer<Float>.allocate(capacity: anchors)
        let bestClass = UnsafeMutablePointer<Int32>.allocate(capacity: anchors)
        defer { bestScore.deallocate(); bestClass.deallocate() }
        bestScore.initialize(repeating: -1, count: anchors)
        bestClass.initialize(repeating: -1, count: anchors)
        for c in 0..<classCount where options.classes?.contains(c) ?? true {
            let row = base + (4 + c) * anchors
            let label = Int32(c)
            for anchor in 0..<anchors {
                let score = row[anchor], better = score > bestScore[anchor]
                bestScore[anchor] = better ? score : bestScore[anchor]
                bestClass[anchor] = better ? label : bestClass[anchor]
            }
        }
        var candidates: [NonMaximumSuppression.Candidate] = []
        let threshold = Float(options.confidence)
        for anchor in 0..<anchors where bestClass[anchor] >= 0 && bestScore[anchor] > threshold {
            let box = BoundingBox(centerX: Double(base[anchor]), centerY: Double(base[anchors + anchor]),
                                  width: Double(base[2 * anchors + anchor]), height: Double(base[3 * anchors + anchor]))
            candidates.append(.init(box: box, score: Double(bestScore[anchor]), classId: Int(bestClass[anchor])))
        }
        let kept = NonMaximumSuppression.apply(candidates, iouThreshold: options.iou, maxDetections: options.maxDetections)
        let (w, h) = (Double(letterbox.sourceWidth), Double(letterbox.sourceHeight))
        return kept.compactMap { candidate in
            let (x1, y1, x2, y2) = letterbox.toSource((candidate.box.x1, candidate.box.y1, candidate.box.x2, candidate.box.y2))
            let box = BoundingBox(x1: x1, y1: y1, x2: x2, y2: y2)
            // A box lying wholly in the letterbox padding clips to nothing: it is not in the picture.
            guard box.area > 0 else { return nil }
            return Detection(classId: candidate.classId,
                             className: candidate.classId < classNames.count ? classNames[candidate.classId] : "class\(candidate.classId)",
                             score: candidate.score, box: box,
                             normalized: BoundingBox(x1: x1 / w, y1: y1 / h, x2: x2 / w, y2: y2 / h))
        }
    }
}
