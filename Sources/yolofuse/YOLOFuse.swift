import ArgumentParser

@main
struct YOLOFuseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yolofuse",
        abstract: "Object detection for paired visible and thermal cameras.",
        subcommands: [DetectCommand.self, ValCommand.self, EngineCommand.self]
    )
}
