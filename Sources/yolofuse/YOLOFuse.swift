import ArgumentParser

@main
struct YOLOFuseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yolofuse",
        abstract: "Object detection for paired visible and thermal cameras.",
        subcommands: [ServeCommand.self, DetectCommand.self, ValCommand.self, EngineCommand.self]
    )

    static func main() async {
        ProcessTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand { try await asyncCommand.run() } else { try command.run() }
        } catch {
            exit(withError: error)
        }
    }
}
