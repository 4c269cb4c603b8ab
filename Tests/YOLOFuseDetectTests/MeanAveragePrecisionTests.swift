import Foundation
import Testing
import YOLOFuseDetect
import YOLOFuseVision

@Suite struct MeanAveragePrecisionTests {
    func detection(_ classId: Int, _ score: Double, _ box: BoundingBox) -> Detection {
        Detection(classId: classId, className: "c\(classId)", score: score, box: box, normalized: box)
    }

    @Test func handComputedCases() {
        let a = BoundingBox(x1: 0, y1: 0, x2: 10, y2: 10), b = BoundingBox(x1: 20, y1: 20, x2: 30, y2: 30)
        // Perfect: both found, nothing else.
        var perfect = MeanAveragePrecision()
        perfect.add(truth: [.init(classId: 0, box: a), .init(classId: 0, box: b)], predictions: [detection(0, 0.9, a), detection(0, 0.8, b)])
        #expect(perfect.summary().map50 == 1 && perfect.summary().map50to95 == 1)
        // One of two found, with a false positive ranked first: precision 0 then 1/2 at recall 1/2; the envelope
        // is 1/2 up to recall 0.5 (51 of the 101 points), then nothing.
        var half = MeanAveragePrecision()
        half.add(truth: [.init(classId: 0, box: a), .init(classId: 0, box: b)],
                 predictions: [detection(0, 0.9, BoundingBox(x1: 50, y1: 50, x2: 60, y2: 60)), detection(0, 0.8, a)])
        #expect(abs(half.summary().map50 - 0.5 * 51 / 101) < 1e-12)
        // A box of IoU 0.58 counts at thresholds 0.50 and 0.55 only: 2 of 10.
        var loose = MeanAveragePrecision()
        loose.add(truth: [.init(classId: 0, box: BoundingBox(x1: 0, y1: 0, x2: 10, y2: 10))],
                  predictions: [detection(0, 0.9, BoundingBox(x1: 0, y1: 0, x2: 10, y2: 5.8))])
        #expect(loose.summary().map50 == 1)
        #expect(abs(loose.summary().map50to95 - 0.2) < 1e-12)
        // Nothing predicted: zero, not a crash.
        var none = MeanAveragePrecision()
        none.add(truth: [.init(classId: 1, box: a)], predictions: [])
        #expect(none.summary().map50 == 0)
    }

    @Test func agreesWithPycocotools() throws {
        // Random scenes: truth boxes, jittered predictions with distinct scores, misses and false positives.
        var generator = SplitMix(seed: 42)
        var metric = MeanAveragePrecision()
        var images: [[String: Any]] = []
        for _ in 0..<30 {
            var truth: [MeanAveragePrecision.Truth] = [], predictions: [Detection] = []
            for _ in 0..<Int(generator.next() % 6) {
                let x = generator.unit() * 500, y = generator.unit() * 500, w = 10 + generator.unit() * 100, h = 10 + generator.unit() * 100
                let classId = Int(generator.next() % 3)
                truth.append(.init(classId: classId, box: BoundingBox(x1: x, y1: y, x2: x + w, y2: y + h)))
                if generator.unit() < 0.8 {
                    let jitter = { (v: Double) in v + (generator.unit() - 0.5) * 0.3 * min(w, h) }
                    predictions.append(detection(generator.unit() < 0.9 ? classId : (classId + 1) % 3, generator.unit(),
                                                 BoundingBox(x1: jitter(x), y1: jitter(y), x2: jitter(x + w), y2: jitter(y + h))))
                }
            }
            for _ in 0..<Int(generator.next() % 3) {
                let x = generator.unit() * 500, y = generator.unit() * 500
                predictions.append(detection(Int(generator.next() % 3), generator.unit() * 0.6, BoundingBox(x1: x, y1: y, x2: x + 40, y2: y + 30)))
            }
            metric.add(truth: truth, predictions: predictions)
            images.append([
                "truth": truth.map { [Double($0.classId), $0.box.x1, $0.box.y1, $0.box.x2, $0.box.y2] },
                "predictions": predictions.map { [Double($0.classId), $0.score, $0.box.x1, $0.box.y1, $0.box.x2, $0.box.y2] },
            ])
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("map-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: ["images": images]).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let reference = try JSONSerialization.jsonObject(with: try Support.python("coco_map.py", [file.path])) as! [String: Any]
        let ours = metric.summary()
        #expect(abs(ours.map50 - (reference["map50"] as! Double)) < 1e-9, "ours \(ours.map50) vs \(reference["map50"]!)")
        #expect(abs(ours.map50to95 - (reference["map50_95"] as! Double)) < 1e-9)
        #expect(ours.map50 > 0.3 && ours.map50 < 1)  // a case that exercises both hits and misses
    }
}

/// Deterministic randomness for generated test cases.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
