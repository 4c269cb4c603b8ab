import ArgumentParser
import Foundation
import YOLOFuseEngine
import YOLOFuseTensor

struct EngineCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "engine",
        abstract: "Run or time an ONNX model with the inference engine.",
        subcommands: [EngineRunCommand.self, EngineBenchCommand.self]
    )
}

/// Options shared by the engine subcommands.
struct EngineOptions: ParsableArguments {
    @Option(help: "Threads one run's kernels use.")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Kernels: onednn (fast) or reference (plain Swift).")
    var backend: String = "onednn"

    @Flag(inversion: .prefixedNo, help: "Run batches one image per core (else one whole-batch run over all cores).")
    var splitBatches = true

    func configuration() throws -> Engine.Configuration {
        guard let kind = BackendKind(rawValue: backend) else {
            throw ValidationError("unknown backend '\(backend)'; use onednn or reference")
        }
        guard threads > 0 else { throw ValidationError("--threads must be at least 1") }
        return Engine.Configuration(backend: kind, threads: threads, splitBatches: splitBatches)
    }

    func makeEngine() throws -> Engine { Engine(configuration: try configuration()) }
}
