import ArgumentParser
import Foundation
import Hummingbird
import YOLOFuseAPI

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the detection API (default: 127.0.0.1:8000, the bundled default model)."
    )

    @Option(help: "Address to listen on.") var host = ProcessInfo.processInfo.environment["YOLOFUSE_HOST"] ?? "127.0.0.1"
    @Option(help: "Port to listen on.") var port = Int(ProcessInfo.processInfo.environment["YOLOFUSE_PORT"] ?? "") ?? 8000
    @Option(help: "The default model (default: the bundled one).") var model: String?
    @Option(name: .customLong("max-image-bytes"), help: "Largest accepted image part.") var maxImageBytes = 32 << 20
    @OptionGroup var engineOptions: EngineOptions

    func run() async throws {
        let url = try model.map { URL(fileURLWithPath: $0) } ?? DefaultModel.locate()
        guard (1...65535).contains(port) else { throw ValidationError("--port must be between 1 and 65535") }
        let app = try await buildApplication(
            ServerConfiguration(host: host, port: port, modelURL: url, maxImageBytes: maxImageBytes, engine: try engineOptions.configuration()))
        // Runs until SIGINT or SIGTERM; in-flight requests finish before the process exits.
        try await app.runService()
    }
}
