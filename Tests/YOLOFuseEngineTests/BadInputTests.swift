import Foundation
import Testing
import YOLOFuseEngine
import YOLOFuseONNX
import YOLOFuseTensor

@Suite("Bad models and bad inputs give clear errors")
struct BadInputTests {
    func loadError(_ data: Data) async -> String? {
        do {
            let model = try ModelLoader.decode(data)
            _ = try await TestSupport.onednn.load(model, warmUpBatches: [])
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func emptyCorruptAndTruncatedFiles() async throws {
        let good = try Data(contentsOf: TestSupport.fixture("yolov8_t_op18_dyn.onnx"))
        #expect(await loadError(Data())?.contains("empty") == true)
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        #expect(await loadError(noise) != nil)
        // Truncated anywhere: an error, never a crash.
        for fraction in [0.001, 0.1, 0.5, 0.9, 0.999] {
            let cut = good.prefix(Int(Double(good.count) * fraction))
            #expect(await loadError(Data(cut)) != nil, "truncated at \(fraction)")
        }
        #expect(await loadError(good) == nil)
    }

    @Test func missingFileNamesThePath() async throws {
        let url = URL(fileURLWithPath: "/nonexistent/model.onnx")
        await #expect(throws: ModelLoadError.self) { _ = try await TestSupport.onednn.load(contentsOf: url) }
    }

    @Test func unsupportedOpNamesTheNode() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [1, 3, 4, 4])
        let y = g.node("GridSample", [x, x])[0]
        await #expect {
            _ = try await TestSupport.onednn.load(g.model(outputs: [y]), warmUpBatches: [])
        } throws: { error in
            "\(error)".contains("GridSample0") && "\(error)".contains("unsupported")
        }
    }

    @Test func unsupportedAttributeAndOpset() async throws {
        var g = GraphBuilder()
        let x = g.input("x", [1, 3, 4, 4])
        let y = g.node("Resize", [x, "", g.floats("s", [1, 1, 2, 2])], ["mode": .string("cubic")])[0]
        await #expect { _ = try await TestSupport.onednn.load(g.model(outputs: [y]), warmUpBatches: []) } throws: { "\($0)".contains("cubic") }
        var h = GraphBuilder()
        let z = h.node("Relu", [h.input("x", [1, 2])])[0]
        await #expect { _ = try await TestSupport.onednn.load(h.model(outputs: [z], opset: 3), warmUpBatches: []) } throws: { "\($0)".contains("opset 3") }
    }

    @Test func wrongInputsAreRefused() async throws {
        let session = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("mid_t_op12_static.onnx"), warmUpBatches: [])
        let good = TestSupport.random(Shape([1, 6, 320, 320]), seed: 1)
        let cases: [([String: Tensor], String)] = [
            (["pixels": good], "unknown input 'pixels'"),
            ([:], "missing input 'images'"),
            (["images": TestSupport.random(Shape([1, 3, 320, 320]), seed: 1)], "axis 1 must be 6"),
            (["images": TestSupport.random(Shape([6, 320, 320]), seed: 1)], "rank 4"),
            (["images": TestSupport.random(Shape([2, 6, 320, 320]), seed: 1)], "axis 0 must be 1"),
            (["images": Tensor(zeros: .int64, shape: Shape([1, 6, 320, 320]))], "must be float32"),
        ]
        for (feeds, message) in cases {
            await #expect { _ = try await session.run(feeds) } throws: { "\($0)".contains(message) }
        }
        let output = try await session.run(["images": good])
        #expect(output["output0"]?.shape == Shape([1, 7, 2100]))
    }

    @Test func sizesTooSmallForTheNetworkAreRefused() async throws {
        let session = try await TestSupport.onednn.load(contentsOf: TestSupport.fixture("yolov8_t_op18_dyn.onnx"), warmUpBatches: [])
        // 40 is not a multiple of 32: the head's concat of upsampled and skip features cannot line up.
        await #expect(throws: (any Error).self) { _ = try await session.run(["images": TestSupport.random(Shape([1, 3, 40, 40]), seed: 2)]) }
    }
}
