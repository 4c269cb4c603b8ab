import Foundation
import Testing
import YOLOFuseEngine
import YOLOFuseONNX
import YOLOFuseTensor

@Suite("Model encodings, metadata and batch sizes")
struct ModelFormatTests {
    /// Writes the external-data and typed-field variants of a fixture with tools/make_format_variants.py.
    func variants(of file: String) throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-variants-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", TestSupport.repositoryRoot.appendingPathComponent("tools/make_format_variants.py").path,
                             TestSupport.fixture(file).path, directory.path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return directory
    }

    @Test func externalDataAndTypedFieldsGiveTheSameOutputs() async throws {
        let directory = try variants(of: "yolov8_t_op18_dyn.onnx")
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = ["images": TestSupport.random(Shape([1, 3, 128, 160]), seed: 9)]
        let original = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("yolov8_t_op18_dyn.onnx"), warmUpBatches: [])
        let expected = try await original.run(input)["output0"]!
        for name in ["external.onnx", "typed.onnx"] {
            let session = try await TestSupport.onednn.load(contentsOf: directory.appendingPathComponent(name), warmUpBatches: [])
            let output = try await session.run(input)["output0"]!
            #expect(TestSupport.maxDifference(output, expected) == 0, "\(name)")
        }
        // External data that cannot be found is a clear error, not a crash.
        try FileManager.default.removeItem(at: directory.appendingPathComponent("external.onnx.data"))
        await #expect { _ = try await TestSupport.onednn.load(contentsOf: directory.appendingPathComponent("external.onnx")) } throws: {
            "\($0)".contains("external.onnx.data")
        }
        // Bytes alone cannot resolve external files.
        let bytes = try Data(contentsOf: directory.appendingPathComponent("external.onnx"))
        #expect(throws: ModelLoadError.self) { _ = try ModelLoader.decode(bytes) }
    }

    @Test func metadataIsKeptForTheManifest() throws {
        let model = try ModelLoader.load(contentsOf: TestSupport.fixture("mid_t_op18_dyn.onnx"))
        #expect(model.metadata["names"]?.contains("person") == true)
        #expect(model.metadata["imgsz"] != nil)
        #expect(model.metadata["modality"] == "rgb+ir")
        #expect(model.defaultOpset == 18)
        #expect(model.graph.inputs.map(\.name) == ["images"])
        #expect(model.graph.inputs[0].dims?[1] == .fixed(6))
    }

    @Test(arguments: [1, 5, 32])
    func batchSizesUpToThirtyTwo(batch: Int) async throws {
        let session = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("mid_t_op18_dyn.onnx"), warmUpBatches: [])
        let images = TestSupport.random(Shape([batch, 6, 64, 96]), seed: UInt64(batch))
        let output = try await session.run(["images": images])["output0"]!
        #expect(output.shape == Shape([batch, 7, 8 * 12 + 4 * 6 + 2 * 3]))
        // Each image in the batch gives what it gives alone.
        let last = Tensor(zeros: .float32, shape: Shape([1, 6, 64, 96]))
        last.floatPointer().update(from: images.floatPointer() + (batch - 1) * last.elementCount, count: last.elementCount)
        let alone = try await session.run(["images": last])["output0"]!
        let perImage = alone.elementCount
        let tail = Tensor(floats: Array(output.floats[(batch - 1) * perImage..<batch * perImage]), shape: alone.shape)
        #expect(TestSupport.maxDifference(tail, alone) <= 1e-4)
    }

    @Test func splitAndWholeBatchRunsAgree() async throws {
        let whole = Engine(configuration: .init(backend: .onednn, threads: 2, splitBatches: false))
        let url = TestSupport.fixture("early_t_op18_dyn.onnx")
        let split = try await TestSupport.onednn.load(contentsOf: url, warmUpBatches: [])
        let together = try await whole.load(contentsOf: url, warmUpBatches: [])
        // Large enough (512x512) that the default engine runs the batch one image per core.
        let images = ["images": TestSupport.random(Shape([3, 6, 512, 512]), seed: 11)]
        let a = try await split.run(images)["output0"]!
        let b = try await together.run(images)["output0"]!
        #expect(a.shape == Shape([3, 7, 64 * 64 + 32 * 32 + 16 * 16]))
        #expect(TestSupport.maxDifference(a, b) <= 1e-4)
        // The images differ, so their rows do too: stacking them in the wrong order would fail above.
        let perImage = a.elementCount / 3
        #expect(Array(a.floats[0..<perImage]) != Array(a.floats[perImage..<2 * perImage]))
    }

    /// A batch of 7 runs as parts of 4, 2 and 1; every image's rows must equal its own batch-1 run.
    @Test func batchesRunAsPowerOfTwoPartsAgreeWithSingleRuns() async throws {
        let whole = Engine(configuration: .init(backend: .onednn, threads: 2, splitBatches: false))
        let session = try await whole.load(contentsOf: TestSupport.fixture("mid_t_op18_dyn.onnx"), warmUpBatches: [])
        let batch = 7
        let images = TestSupport.random(Shape([batch, 6, 64, 96]), seed: 5)
        let output = try await session.run(["images": images])["output0"]!
        let perImage = output.elementCount / batch
        for index in 0..<batch {
            let one = Tensor(zeros: .float32, shape: Shape([1, 6, 64, 96]))
            one.floatPointer().update(from: images.floatPointer() + index * one.elementCount, count: one.elementCount)
            let alone = try await session.run(["images": one])["output0"]!
            let rows = Tensor(floats: Array(output.floats[index * perImage..<(index + 1) * perImage]), shape: alone.shape)
            #expect(TestSupport.maxDifference(rows, alone) <= 1e-4, "image \(index)")
        }
    }
}
