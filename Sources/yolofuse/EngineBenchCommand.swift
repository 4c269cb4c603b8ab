import ArgumentParser
import Foundation
import YOLOFuseEngine
import YOLOFuseTensor

struct EngineBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time a model: median and p90 milliseconds per image after warm-up."
    )

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(help: "Images per run.") var batch: Int = 1
    @Option(help: "Square input size in pixels (dynamic models).") var size: Int?
    @Option(help: "Timed runs.") var iterations: Int = 30
    @Option(help: "Untimed runs first.") var warmup: Int = 3
    @Flag(help: "Print one JSON line.") var json = false
    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        guard batch > 0, iterations > 0, warmup >= 0 else { throw ValidationError("batch and iterations must be positive") }
        let engine = try engineOptions.makeEngine()
        let loadStart = ContinuousClock.now
        let session = try await engine.load(contentsOf: URL(fileURLWithPath: model), warmUpBatches: [])
        let shapes = session.inputShapes(batch: batch, height: size, width: size)
        try await session.prepare([shapes])
        let loadSeconds = (ContinuousClock.now - loadStart).seconds
        // Inputs in [0, 1] like normalised pixels, so activations look like real ones.
        var generator = SystemRandomNumberGenerator()
        let feeds = shapes.mapValues { shape in
            // Filled in place: a temporary array would double the input's share of the peak RSS reported below.
            let tensor = Tensor(zeros: .float32, shape: shape)
            let values = tensor.floatPointer()
            for index in 0..<shape.elementCount { values[index] = Float.random(in: 0...1, using: &generator) }
            return tensor
        }
        for _ in 0..<warmup { _ = try await session.run(feeds) }
        var perImage: [Double] = []
        for _ in 0..<iterations {
            let start = ContinuousClock.now
            _ = try await session.run(feeds)
            perImage.append((ContinuousClock.now - start).seconds * 1000 / Double(batch))
        }
        perImage.sort()
        let median = perImage[perImage.count / 2]
        let p90 = perImage[min(perImage.count - 1, Int(Double(perImage.count) * 0.9))]
        let peakRSS = ResourceUsage.peakResidentMiB()
        if json {
            print(#"{"median_ms_per_image": \#(median), "p90_ms_per_image": \#(p90), "load_and_warmup_s": \#(loadSeconds), "peak_rss_mib": \#(peakRSS)}"#)
        } else {
            print(String(format: "median %.2f ms/image, p90 %.2f ms/image (batch %d, %d runs); load+warm-up %.2f s; peak RSS %.0f MiB",
                         median, p90, batch, iterations, loadSeconds, peakRSS))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

enum ResourceUsage {
    /// Peak resident set size of this process (VmHWM), in MiB.
    static func peakResidentMiB() -> Double {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }
}
