import Foundation
import Testing
import YOLOFuseEngine
import YOLOFuseONNX
import YOLOFuseTensor

/// Every fixture model, static and dynamic, batch 1 and more, through the engine and through ONNX Runtime.
@Suite("Fixture models against ONNX Runtime")
struct ModelConformanceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let batch: Int
        let height: Int
        let width: Int
        var testDescription: String { "\(file) \(batch)x\(height)x\(width)" }
    }

    static let cases: [Case] = [
        Case(file: "mid_t_op12_static.onnx", batch: 1, height: 320, width: 320),
        Case(file: "mid_t_op18_dyn.onnx", batch: 1, height: 320, width: 320),
        Case(file: "mid_t_op18_dyn.onnx", batch: 3, height: 256, width: 320),
        Case(file: "mid_t_2in_op18_dyn.onnx", batch: 2, height: 192, width: 160),
        Case(file: "early_t_op12_static.onnx", batch: 1, height: 320, width: 320),
        Case(file: "early_t_op18_dyn.onnx", batch: 2, height: 320, width: 256),
        Case(file: "yolov8_t_op12_static.onnx", batch: 1, height: 320, width: 320),
        Case(file: "yolov8_t_op18_dyn.onnx", batch: 4, height: 224, width: 288),
    ]

    /// The bounds the engine is held to: boxes in input pixels, class scores after sigmoid.
    static let boxTolerance: Float = 0.05
    static let scoreTolerance: Float = 1e-4

    /// Compares with ONNX Runtime. Where ONNX Runtime's own optimised and unoptimised graphs disagree by more
    /// than the bounds (float32 rounding in a deep network), twice that disagreement is the bound instead:
    /// no engine can be held closer to a reference than the reference is to itself.
    static func expectMatchesOnnxRuntime(_ ours: Tensor, model: URL, feeds: [String: Tensor]) throws {
        let reference = try TestSupport.onnxRuntime(model, feeds)["output0"]!
        let unoptimised = try TestSupport.onnxRuntime(model, feeds, optimization: "disable")["output0"]!
        #expect(ours.shape == reference.shape)
        guard ours.shape == reference.shape else { return }
        let boxNoise = TestSupport.maxDifference(reference, unoptimised, rows: 0..<4)
        let scoreNoise = TestSupport.maxDifference(reference, unoptimised, rows: 4..<ours.shape[1])
        let boxError = TestSupport.maxDifference(ours, reference, rows: 0..<4)
        let scoreError = TestSupport.maxDifference(ours, reference, rows: 4..<ours.shape[1])
        #expect(boxError <= max(boxTolerance, 2 * boxNoise), "box error \(boxError) px (ORT self-disagreement \(boxNoise))")
        #expect(scoreError <= max(scoreTolerance, 2 * scoreNoise), "score error \(scoreError) (ORT self-disagreement \(scoreNoise))")
    }

    @Test("oneDNN backend matches ONNX Runtime", arguments: cases)
    func onednnMatchesOnnxRuntime(_ testCase: Case) async throws {
        let url = TestSupport.fixture(testCase.file)
        let session = try await TestSupport.onednn.load(contentsOf: url, warmUpBatches: [])
        var feeds: [String: Tensor] = [:]
        for (index, input) in session.inputs.enumerated() {
            let channels = session.inputs.count == 2 ? 3 : (input.dims.map { $0[1] } == .fixed(3) ? 3 : 6)
            feeds[input.name] = TestSupport.random(Shape([testCase.batch, channels, testCase.height, testCase.width]), seed: UInt64(index + 7))
        }
        let ours = try await session.run(feeds)["output0"]!
        let anchors = (testCase.height / 8) * (testCase.width / 8) + (testCase.height / 16) * (testCase.width / 16) + (testCase.height / 32) * (testCase.width / 32)
        #expect(ours.shape == Shape([testCase.batch, 7, anchors]))
        try Self.expectMatchesOnnxRuntime(ours, model: url, feeds: feeds)
    }

    @Test("reference backend matches ONNX Runtime on small inputs",
          arguments: ["mid_t_op18_dyn.onnx", "early_t_op18_dyn.onnx", "yolov8_t_op18_dyn.onnx"])
    func referenceMatchesOnnxRuntime(_ file: String) async throws {
        let url = TestSupport.fixture(file)
        let session = try await TestSupport.reference.load(contentsOf: url, warmUpBatches: [])
        let channels = file.hasPrefix("yolov8") ? 3 : 6
        let feeds = ["images": TestSupport.random(Shape([2, channels, 96, 64]), seed: 3)]
        let ours = try await session.run(feeds)["output0"]!
        try Self.expectMatchesOnnxRuntime(ours, model: url, feeds: feeds)
    }

    @Test("one loaded model serves concurrent callers with their own results")
    func concurrentCallers() async throws {
        let session = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("mid_t_op18_dyn.onnx"), warmUpBatches: [1])
        let inputs = (0..<6).map { TestSupport.random(Shape([1, 6, 160, 160]), seed: UInt64(100 + $0)) }
        var sequential: [Tensor] = []
        for input in inputs { sequential.append(try await session.run(["images": input])["output0"]!) }
        let concurrent = try await withThrowingTaskGroup(of: (Int, Tensor).self) { group in
            for (index, input) in inputs.enumerated() {
                group.addTask { (index, try await session.run(["images": input])["output0"]!) }
            }
            var results = [Tensor?](repeating: nil, count: inputs.count)
            for try await (index, output) in group { results[index] = output }
            return results.map { $0! }
        }
        for (a, b) in zip(sequential, concurrent) { #expect(TestSupport.maxDifference(a, b) == 0) }
        // Different inputs give different outputs: the comparison above can fail.
        #expect(TestSupport.maxDifference(sequential[0], sequential[1]) > 0)
    }

    @Test("the two-input export equals the six-channel export on the same pixels")
    func twoInputFormMatchesStacked() async throws {
        let stacked = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("mid_t_op18_dyn.onnx"), warmUpBatches: [])
        let split = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("mid_t_2in_op18_dyn.onnx"), warmUpBatches: [])
        let rgb = TestSupport.random(Shape([1, 3, 128, 128]), seed: 1), ir = TestSupport.random(Shape([1, 3, 128, 128]), seed: 2)
        let images = Tensor(zeros: .float32, shape: Shape([1, 6, 128, 128]))
        images.floatPointer().update(from: rgb.floatPointer(), count: rgb.elementCount)
        (images.floatPointer() + rgb.elementCount).update(from: ir.floatPointer(), count: ir.elementCount)
        let a = try await stacked.run(["images": images])["output0"]!
        let b = try await split.run(["rgb": rgb, "ir": ir])["output0"]!
        #expect(TestSupport.maxDifference(a, b) <= 1e-4)
    }
}
