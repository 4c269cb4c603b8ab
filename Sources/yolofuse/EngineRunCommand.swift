import ArgumentParser
import Foundation
import YOLOFuseEngine
import YOLOFuseTensor
import YOLOFuseONNX

struct EngineRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a model on NumPy .npy float32 inputs and write its outputs as .npy files."
    )

    @Argument(help: "The ONNX model file.")
    var model: String

    @Option(name: .customLong("input"), help: "[NAME=]path.npy; the name may be left out for a single-input model.")
    var inputs: [String] = []

    @Option(name: .customLong("output"), help: "[NAME=]path.npy; without a name, the first output.")
    var outputs: [String] = []

    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        let engine = try engineOptions.makeEngine()
        let session = try await engine.load(contentsOf: URL(fileURLWithPath: model), warmUpBatches: [])
        var feeds: [String: Tensor] = [:]
        for argument in inputs {
            let (name, path) = split(argument)
            guard let inputName = name ?? (session.inputs.count == 1 ? session.inputs[0].name : nil) else {
                throw ValidationError("the model has inputs \(session.inputs.map(\.name)); name each one as NAME=path.npy")
            }
            feeds[inputName] = try NumPyFile.read(URL(fileURLWithPath: path))
        }
        let results = try await session.run(feeds)
        for argument in outputs {
            let (name, path) = split(argument)
            let outputName = name ?? session.outputs[0].name
            guard let tensor = results[outputName] else {
                throw ValidationError("the model has no output '\(outputName)'; its outputs are \(session.outputs.map(\.name))")
            }
            try NumPyFile.write(tensor, to: URL(fileURLWithPath: path))
        }
        if outputs.isEmpty {
            for output in session.outputs { print("\(output.name): \(results[output.name]!.shape)") }
        }
    }

    private func split(_ argument: String) -> (String?, String) {
        guard let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/") else { return (nil, argument) }
        return (String(argument[..<equals]), String(argument[argument.index(after: equals)...]))
    }
}
