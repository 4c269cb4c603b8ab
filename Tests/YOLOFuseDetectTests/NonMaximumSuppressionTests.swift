import Testing
import YOLOFuseVision

@Suite struct NonMaximumSuppressionTests {
    typealias Candidate = NonMaximumSuppression.Candidate

    func box(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double) -> BoundingBox { BoundingBox(x1: x1, y1: y1, x2: x2, y2: y2) }

    @Test func emptyInputAndZeroMaximum() {
        #expect(NonMaximumSuppression.apply([], iouThreshold: 0.5, maxDetections: 10).isEmpty)
        let one = [Candidate(box: box(0, 0, 10, 10), score: 0.9, classId: 0)]
        #expect(NonMaximumSuppression.apply(one, iouThreshold: 0.5, maxDetections: 0).isEmpty)
    }

    @Test func identicalBoxesKeepTheBestOnce() {
        let candidates = [0.3, 0.9, 0.5].map { Candidate(box: box(5, 5, 50, 40), score: $0, classId: 1) }
        let kept = NonMaximumSuppression.apply(candidates, iouThreshold: 0.5, maxDetections: 10)
        #expect(kept.count == 1)
        #expect(kept.first?.score == 0.9)
    }

    @Test func classesDoNotSuppressEachOther() {
        let candidates = [Candidate(box: box(0, 0, 10, 10), score: 0.9, classId: 0), Candidate(box: box(0, 0, 10, 10), score: 0.8, classId: 1)]
        #expect(NonMaximumSuppression.apply(candidates, iouThreshold: 0.5, maxDetections: 10).count == 2)
    }

    @Test func thresholdAndOrder() {
        // IoU of these two is 50/150 = 1/3.
        let a = Candidate(box: box(0, 0, 10, 10), score: 0.6, classId: 0)
        let b = Candidate(box: box(5, 0, 15, 10), score: 0.7, classId: 0)
        #expect(NonMaximumSuppression.apply([a, b], iouThreshold: 0.3, maxDetections: 10).map(\.score) == [0.7])
        #expect(NonMaximumSuppression.apply([a, b], iouThreshold: 0.34, maxDetections: 10).map(\.score) == [0.7, 0.6])
        #expect(NonMaximumSuppression.apply([a, b], iouThreshold: 0.34, maxDetections: 1).map(\.score) == [0.7])
    }

    @Test func flippedCoordinatesAreNormalised() {
        let flipped = box(10, 10, 0, 0)
        #expect(flipped == box(0, 0, 10, 10))
        #expect(flipped.area == 100)
        #expect(flipped.iou(box(0, 0, 10, 10)) == 1)
        #expect(box(0, 0, 0, 10).iou(box(0, 0, 0, 10)) == 0)  // degenerate boxes overlap nothing
    }
}
