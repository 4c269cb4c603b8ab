import ArgumentParser
import Foundation

/// Finds the bundled default model: $YOLOFUSE_DEFAULT_MODEL, or Models/default/model.onnx in the working
/// directory or beside the executable's package.
enum DefaultModel {
    static let relativePath = "Models/default/model.onnx"

    static func locate() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["YOLOFUSE_DEFAULT_MODEL"] { return URL(fileURLWithPath: path) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relativePath)]
        // .build/<config>/yolofuse -> the package root three levels up.
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(relativePath))
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw ValidationError("no default model found (looked for \(relativePath)); pass --model MODEL.onnx")
    }
}
