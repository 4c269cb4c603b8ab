/// Class-aware non-maximum suppression, as YOLO postprocessing does it.
public enum NonMaximumSuppression {
    public struct Candidate: Sendable {
        public var box: BoundingBox
        public var score: Double
        public var classId: Int

        public init(box: BoundingBox, score: Double, classId: Int) {
            self.box = box
            self.score = score
            self.classId = classId
        }
    }

    /// Keeps the highest-scoring boxes, dropping any that overlaps a kept box of the same class by more than
    /// `iouThreshold`. At most `maxCandidates` (highest first) are considered, at most `maxDetections` kept.
    public static func apply(_ candidates: [Candidate], iouThreshold: Double, maxDetections: Int, maxCandidates: Int = 30_000) -> [Candidate] {
        guard maxDetections > 0, !candidates.isEmpty else { return [] }
        // Ties keep input order, so results do not depend on the sort's stability.
        let ordered = candidates.enumerated().sorted { $0.element.score != $1.element.score ? $0.element.score > $1.element.score : $0.offset < $1.offset }
            .prefix(maxCandidates).map(\.element)
        var kept: [Candidate] = []
        var keptByClass: [Int: [BoundingBox]] = [:]
        for candidate in ordered {
            if keptByClass[candidate.classId, default: []].contains(where: { $0.iou(candidate.box) > iouThreshold }) { continue }
            kept.append(candidate)
            keptByClass[candidate.classId, default: []].append(candidate.box)
            if kept.count == maxDetections { break }
        }
        return kept
    }
}
