import ArgumentParser

@main
struct YOLOFuseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yolofuse",
        abstract: "Object detection for paired visible and thermal cameras.",
        subcommands: [ServeCommand.self, DetectCommand.self, ValCommand.self, EngineCommand.self]
    )
}
