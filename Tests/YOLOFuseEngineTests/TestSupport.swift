import Foundation
import YOLOFuseEngine
import YOLOFuseONNX
import YOLOFuseTensor

/// Paths and helpers shared by the engine tests.
enum TestSupport {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = repositoryRoot.appendingPathComponent("Tests/Fixtures/models")

    static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

    /// One engine per backend for the whole test run (its threads live as long as the process).
    static let onednn = Engine(configuration: .init(backend: .onednn, threads: 2))
    static let reference = Engine(configuration: .init(backend: .reference, threads: 1))

    /// Deterministic pseudo-random values in [low, high).
    static func random(_ shape: Shape, seed: UInt64, low: Float = 0, high: Float = 1) -> Tensor {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        let values = (0..<shape.elementCount).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return low + (high - low) * Float(state >> 40) / Float(1 << 24)
        }
        return Tensor(floats: values, shape: shape)
    }

    /// Runs ONNX Runtime (tools/ort_run.py) on the same inputs: the reference every model is held to.
    /// `optimization` is ORT's graph optimisation level (all, extended, basic, disable).
    static func onnxRuntime(_ model: URL, _ feeds: [String: Tensor], optimization: String = "all") throws -> [String: Tensor] {
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("yolofuse-ort-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        var arguments = [repositoryRoot.appendingPathComponent("tools/ort_run.py").path, model.path]
        for (name, tensor) in feeds {
            let path = work.appendingPathComponent("in-\(name).npy")
            try NumPyFile.write(tensor, to: path)
            arguments += ["--input", "\(name)=\(path.path)"]
        }
        let outputPath = work.appendingPathComponent("output0.npy")
        arguments += ["--output", "output0=\(outputPath.path)", "--opt", optimization]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            throw ReferenceFailure(description: "ort_run.py failed: \(message)")
        }
        return ["output0": try NumPyFile.read(outputPath)]
    }

    struct ReferenceFailure: Error, CustomStringConvertible { let description: String }

    /// Largest absolute difference between two equally shaped tensors, over a range of rows of axis 1.
    static func maxDifference(_ a: Tensor, _ b: Tensor, rows: Range<Int>? = nil) -> Float {
        precondition(a.shape == b.shape, "shapes differ: \(a.shape) vs \(b.shape)")
        let x = a.floats, y = b.floats
        guard let rows, a.shape.rank == 3 else { return zip(x, y).map { abs($0 - $1) }.max() ?? 0 }
        let (n, c, k) = (a.shape[0], a.shape[1], a.shape[2])
        var worst: Float = 0
        for i in 0..<n { for r in rows where r < c { for j in 0..<k { worst = max(worst, abs(x[(i * c + r) * k + j] - y[(i * c + r) * k + j])) } } }
        return worst
    }
}
