import ArgumentParser
import Foundation

/// Finds the bundled default model: $YOLOFUSE_DEFAULT_MODEL, else Models/default/model.onnx in the working
/// directory, in the package the executable was built in (any folder above it), or in an installed share folder.
enum DefaultModel {
    static let relativePath = "Models/default/model.onnx"
    static let installedPaths = ["/usr/local/share/yolofuse/model.onnx", "/usr/share/yolofuse/model.onnx"]

    static func locate() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["YOLOFUSE_DEFAULT_MODEL"] { return URL(fileURLWithPath: path) }
        var candidates = [URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(relativePath)]
        // .build/release is a link to .build/<triple>/release: walk up from the real file to the package root.
        let executable = Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])
        var folder = executable.resolvingSymlinksInPath().deletingLastPathComponent()
        while folder.path != "/" {
            candidates.append(folder.appendingPathComponent(relativePath))
            folder.deleteLastPathComponent()
        }
        candidates += installedPaths.map { URL(fileURLWithPath: $0) }
        if let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) { return found }
        throw ValidationError("""
            no default model found (looked for \(relativePath) here and above the executable, and \
            \(installedPaths.joined(separator: ", "))); pass --model MODEL.onnx or set YOLOFUSE_DEFAULT_MODEL
            """)
    }
}
